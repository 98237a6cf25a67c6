// The platform's service worker (config.webapp.service_worker), at /sw.js for the whole site.
//
// It keeps the application shell in one cache per release: the offline page and the static
// files it lists. Static files come from that cache first; a page comes from the network, and
// when the network is gone the offline page is shown instead. Nothing else is ever stored: no
// other page, no API answer, no upload, no socket, nothing sent with another method than GET.
//
// It also shows the platform's push notifications (channels_app.push): the push carries its
// title, text, the local address it opens and a tag (a newer push of the same room replaces
// the older one); a click focuses a tab of the platform on that address, or opens one.
const SHELL = {{ config|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      // Anything but GET goes to the network without waking this worker: a form sent as its
      // page goes away (a deletion on leaving a room) must not wait for a worker being started.
      await event.addRoutes?.({ condition: { not: { requestMethod: "GET" } }, source: "network" })
        .catch(() => {});
      const cache = await caches.open(SHELL.cache);
      // Past the HTTP cache: without DEBUG the names are hashed, with DEBUG they are not.
      await cache.addAll(SHELL.precache.map((url) => new Request(url, { cache: "no-cache" })));
      // A new release takes over at once; its pages' files are all in its own cache.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(SHELL.prefix) && name !== SHELL.cache) await caches.delete(name);
      }
      if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
      await self.clients.claim();
    })(),
  );
});

async function page(event) {
  try {
    return (await event.preloadResponse) || (await fetch(event.request));
  } catch {
    // The network failed (a server's error page is an answer and passes through).
    const offline = await caches.match(SHELL.offline, { cacheName: SHELL.cache });
    return offline || Response.error();
  }
}

async function staticFile(request) {
  const cached = await caches.match(request, { cacheName: SHELL.cache });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.startsWith(SHELL.static)) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title : "";
  if (!title) return;
  // Only an address on this site is opened on a click.
  const url = new URL(typeof data.url === "string" ? data.url : "/", self.location.origin);
  const target = url.origin === self.location.origin ? url.pathname + url.search + url.hash : "/";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === "string" ? data.body : "",
      tag: typeof data.tag === "string" ? data.tag : undefined,
      icon: SHELL.icon,
      data: { url: target },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window" });
      const open = tabs.find((tab) => tab.url === url);
      if (open) {
        await open.focus();
        return;
      }
      if (tabs.length) {
        try {
          const moved = await tabs[0].navigate(url);
          if (moved) {
            await moved.focus();
            return;
          }
        } catch {
          // a tab this worker does not control: a new window below
        }
      }
      await self.clients.openWindow(url);
    })(),
  );
});
