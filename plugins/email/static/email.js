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
  /* The core's composer announces an accepted send ("helpline:composer-sent"
     on the form): the files and the Cc choice went with it. */
  form.addEventListener("helpline:composer-sent", function () {
    files.value = "";
    keepCc.checked = false;
    update();
  });
})();
