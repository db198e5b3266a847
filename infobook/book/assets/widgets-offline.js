// Loaded after require.js and before the ipywidgets HTML manager (see _config.yml).
// 1. Resolve the manager's AMD modules, and so its fonts, from the vendored copy in
//    _static/vendor/npm instead of the page's own folder or a CDN.
// 2. The manager typesets widget labels through the MathJax 2 API (MathJax.Hub.Queue); the
//    book ships MathJax 3, so give it that one entry point.
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (here && window.require && window.require.config) {
    var vendor = here.replace(/widgets-offline\.js(\?.*)?$/, "");
    window.require.config({
      paths: {
        "@jupyter-widgets/html-manager/dist": vendor + "npm/@jupyter-widgets/html-manager/dist",
      },
    });
  }
  function shim() {
    var mj = window.MathJax;
    if (mj && mj.version && !mj.Hub) {
      mj.Hub = {
        Queue: function () {
          if (mj.typesetPromise) {
            mj.typesetPromise();
          }
        },
      };
    }
  }
  document.addEventListener("DOMContentLoaded", shim);
  window.addEventListener("load", shim);
})();
