// Behaviour shared by every page; no inline scripts, so the CSP can forbid them.
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form on change (the organization switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });
  // A form with data-confirm asks before it submits (removing a member, deleting).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
