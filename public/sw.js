// The built page's service worker: it keeps the page itself (HTML, scripts, styles) so that a
// reload without network still shows the demo. The models are the page's own business
// (src/app/model-store.ts keeps and checks them), so their requests pass straight through.
//
// Network first: online, every request goes to the server as if there were no worker, so a new
// deployment is seen at once; the answer is kept. Offline (the fetch fails), the kept answer is
// used. The page posts the addresses it loaded before this worker started ({ keep: [...] }).
// Hand-written rather than generated (Workbox): a dozen lines, no build step, no precache list to
// keep in step with Vite's hashed file names.
const SHELL = 'mtp-shell-v1';
const isModel = (url) => new URL(url).pathname.includes('/models/');

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const urls = (event.data?.keep ?? []).filter((url) => new URL(url).origin === location.origin && !isModel(url));
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(urls.map((url) => cache.add(url).catch(() => {})))));
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== location.origin || isModel(request.url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(SHELL).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(async () => (await caches.match(request, { ignoreSearch: request.mode === 'navigate', ignoreVary: true })) ?? Response.error()),
  );
});
