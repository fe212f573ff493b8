// For the e2e tests that lose a GPU device from outside the page: `recordDevices` (a page init
// script, so self-contained) keeps every device the page requests on window.__devices.
import type { Page } from 'playwright-core';

export function recordDevices(): void {
  const w = window as unknown as { __devices: GPUDevice[] };
  w.__devices = [];
  const request = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
    const device = await request.call(this, descriptor);
    w.__devices.push(device);
    return device;
  };
}

/** How many devices the page has requested so far. */
export const deviceCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __devices: GPUDevice[] }).__devices.length);

/** Destroys the page's i-th device (the page sees it lost). */
export const destroyDevice = (page: Page, i: number): Promise<void> =>
  page.evaluate((i) => (window as unknown as { __devices: GPUDevice[] }).__devices[i].destroy(), i);
