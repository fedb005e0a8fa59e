// The print view's button opens the browser's print dialog.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.matches && event.target.matches("[data-print]")) {
      window.print();
    }
  });
})();
