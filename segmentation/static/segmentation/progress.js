// Follow a segmentation job: when the progress component reports the end, open the result
// (job page) or reload the page that shows the finished check (dataset page).
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSwap", function () {
    var box = document.querySelector("[data-follow-result], [data-reload-when-done]");
    var progress = box && box.querySelector(".job-progress");
    if (!progress) { return; }
    var status = progress.getAttribute("data-status");
    if (status !== "succeeded" && status !== "failed") { return; }
    if (box.hasAttribute("data-reload-when-done")) {
      window.location.reload();
      return;
    }
    var link = progress.querySelector("a.btn-success");
    if (status === "succeeded" && link) {
      window.setTimeout(function () { window.location.href = link.getAttribute("href"); }, 600);
    }
  });
})();
