// Push notifications on this device (templates/channels_app/push_settings.html): subscribes
// the service worker's push manager with the platform's VAPID key and sends the subscription
// to the server (POST), or unsubscribes and tells the server (DELETE). The list of devices and
// the settings below it are ordinary forms.

const section = document.querySelector("[data-push]");

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function token() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

async function tell(method, subscription) {
  const response = await fetch(section.dataset.devicesUrl, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
    body: JSON.stringify(subscription.toJSON ? subscription.toJSON() : subscription),
    credentials: "same-origin",
  });
  if (!response.ok && !(method === "DELETE" && response.status === 404)) {
    throw new Error(`${response.status}`);
  }
}

if (section && section.dataset.vapidKey) {
  const state = section.querySelector("[data-push-state]");
  const on = section.querySelector("[data-push-on]");
  const off = section.querySelector("[data-push-off]");
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  const show = (subscribed, message) => {
    state.textContent = message ?? section.dataset[subscribed ? "textOn" : "textOff"];
    on.hidden = subscribed;
    off.hidden = !subscribed;
    section.dataset.subscribed = subscribed ? "true" : "false";
  };

  const registration = async () => {
    const url = document.documentElement.dataset.serviceWorker || "/sw.js";
    await navigator.serviceWorker.register(url, { scope: "/" });
    return navigator.serviceWorker.ready;
  };

  if (!supported) {
    state.textContent = section.dataset.textUnsupported;
  } else {
    registration()
      .then((ready) => ready.pushManager.getSubscription())
      .then(async (subscription) => {
        // On only while the server has this browser's subscription, turned on, in the list
        // below; one removed there (or turned off) is ended here too, so that turning on
        // subscribes afresh.
        const known = new Set(
          [...document.querySelectorAll("[data-endpoint]")].map((item) => item.dataset.endpoint),
        );
        if (subscription && known.has(subscription.endpoint)) return show(true);
        if (subscription) await subscription.unsubscribe().catch(() => {});
        return show(false);
      })
      .catch(() => show(false));

    on.addEventListener("click", async () => {
      on.disabled = true;
      try {
        const permission = await Notification.requestPermission();
        if (permission !== "granted") {
          show(false, section.dataset.textDenied);
          return;
        }
        const ready = await registration();
        const subscription = await ready.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(section.dataset.vapidKey),
        });
        await tell("POST", subscription);
        show(true);
        off.focus();
      } catch {
        show(false, section.dataset.textFailed);
      } finally {
        on.disabled = false;
      }
    });

    off.addEventListener("click", async () => {
      off.disabled = true;
      try {
        const ready = await registration();
        const subscription = await ready.pushManager.getSubscription();
        if (subscription) {
          await tell("DELETE", { endpoint: subscription.endpoint });
          await subscription.unsubscribe();
        }
        show(false);
        on.focus();
      } catch {
        show(true, section.dataset.textFailed);
      } finally {
        off.disabled = false;
      }
    });
  }
}
