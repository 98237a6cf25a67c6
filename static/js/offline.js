// The offline page (config.webapp): load the page again, on request or once the network is back.
const button = document.querySelector("[data-retry]");
const status = document.querySelector("[data-retry-status]");

button?.addEventListener("click", () => {
  if (navigator.onLine === false && status) {
    // Reloading now would only show this page again.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = status.dataset.waitingText;
    }, 100);
    return;
  }
  window.location.reload();
});
window.addEventListener("online", () => window.location.reload());
