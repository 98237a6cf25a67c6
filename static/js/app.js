// Progressive enhancement only: every page works without this script.
import { badges } from "./badges.js";
import { Connection } from "./socket.js";

document.documentElement.classList.add("js");

// The installable app's service worker (config.webapp): the offline page when the network is
// gone. Registered once the page has loaded, so it does not compete with the page's own files.
const serviceWorker = document.documentElement.dataset.serviceWorker;
if (serviceWorker && "serviceWorker" in navigator) {
  const register = () => {
    navigator.serviceWorker.register(serviceWorker, { scope: "/" }).catch(() => {
      // Not over plain HTTP to another host, not in every private window: the site works on.
    });
  };
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}

// Signing out ends this browser's push subscription at its push service too (the server
// forgets it with the session): no push reaches a device that signed out. Never longer than a
// moment: then the form goes anyway.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches(".wijk-profile__logout")) return;
  if (!("serviceWorker" in navigator) || form.dataset.unsubscribed) return;
  event.preventDefault();
  form.dataset.unsubscribed = "true";
  const unsubscribe = navigator.serviceWorker
    .getRegistration("/")
    .then((registration) => registration?.pushManager?.getSubscription())
    .then((subscription) => subscription?.unsubscribe())
    .catch(() => {});
  const moment = new Promise((resolve) => setTimeout(resolve, 1500));
  Promise.race([unsubscribe, moment]).finally(() => form.submit());
});

/**
 * A signed-in professional's tab keeps one socket, for live badges: it follows every channel
 * listed on the page. The body's data-connection says "live" once all of them are followed.
 */
function followBadges() {
  const rooms = badges.rooms();
  let waiting = new Set();
  const setState = (state) => {
    document.body.dataset.connection = state;
  };
  const connection = new Connection({
    open: () => {
      waiting = new Set(rooms);
      for (const frame of badges.follow(rooms)) connection.send(frame);
      if (waiting.size === 0) setState("live");
    },
    frame: (frame) => {
      badges.handle(frame);
      const followed = frame.type === "subscribed" && waiting.delete(frame.room);
      if (followed && waiting.size === 0) setState("live");
      if (frame.type === "error" && waiting.size > 0) {
        // a room that can no longer be read (left, removed) is not waited for
        for (const room of frame.rooms ?? [...waiting]) waiting.delete(room);
        if (waiting.size === 0) setState("live");
      }
    },
    state: setState,
  });
  connection.start();
}

// Chat pages open the socket themselves (chat.js) and pass every frame on; case rooms talk
// over a socket of their own.
const ownSocket = document.querySelector("[data-live-room] [data-messages]");
if (document.body.dataset.liveSocket === "true" && !ownSocket && "WebSocket" in window) {
  followBadges();
}
