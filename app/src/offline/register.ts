/**
 * Registers the service worker (browsers allow it only in a secure context). A failure is not fatal:
 * the page works online without it (the Vite dev server, for one, has no sw.js).
 */
export async function registerServiceWorker(): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  try {
    await navigator.serviceWorker.register(new URL('sw.js', location.origin + import.meta.env.BASE_URL), { scope: import.meta.env.BASE_URL });
    return true;
  } catch (error) {
    console.warn(`clinfer: no offline support (${(error as Error).message})`);
    return false;
  }
}
