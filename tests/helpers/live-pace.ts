// The e2e tests watch a race as it is computed: pace=live in the page's address, unless a test
// sets the pace itself (the page's default, Auto, would show a quick race in slow motion).

/** `url` with pace=live added, unless it names a pace. */
export function livePace(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has('pace')) u.searchParams.set('pace', 'live');
  return u.toString();
}
