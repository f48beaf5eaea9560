/* Email composer: once the agent picks files or keeps the Cc, the composer
   posts to the email plugin's reply endpoint (files travel in the form
   data), so the usual Send button never drops them. */
(function () {
  "use strict";
  var tools = document.getElementById("email-compose");
  var form = document.getElementById("composer");
  if (!tools || !form) { return; }
  var files = document.getElementById("email-files");
  var keepCc = document.getElementById("email-keep-cc");
  var coreAction = form.getAttribute("action");
  function update() {
    var extra = (files.files && files.files.length > 0) || keepCc.checked;
    form.setAttribute("action", extra ? tools.dataset.emailCompose : coreAction);
    form.enctype = extra ? "multipart/form-data" : "application/x-www-form-urlencoded";
  }
  files.addEventListener("change", update);
  keepCc.addEventListener("change", update);
  /* The page's script empties the text box once the reply is accepted and then
     shows it in the thread: that is when the sent files are cleared too. */
  var thread = document.getElementById("thread");
  if (thread && window.MutationObserver) {
    new MutationObserver(function () {
      if (!form.querySelector("#composer-text").value && (files.value || keepCc.checked)) {
        files.value = "";
        keepCc.checked = false;
        update();
      }
    }).observe(thread, { childList: true });
  }
})();
