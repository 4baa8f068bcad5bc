// The portal's small helps, none needed to use it: the template link follows the year and phase chosen in the
// upload form, and the list of bodies narrows as one types in its search box (the form also works without this).
document.addEventListener("DOMContentLoaded", function () {
  var link = document.getElementById("template-link");
  var form = document.getElementById("upload-form");
  if (link && form) {
    var follow = function () {
      var year = form.elements.year.value, phase = form.elements.phase.value;
      link.href = "/template?year=" + encodeURIComponent(year) + "&phase=" + encodeURIComponent(phase);
      document.getElementById("template-year").textContent = year;
      document.getElementById("template-phase").textContent = phase;
    };
    form.elements.year.addEventListener("input", follow);
    form.elements.phase.addEventListener("change", follow);
    follow();
  }
  var search = document.getElementById("body-search");
  var rows = document.querySelectorAll("#bodies tbody tr");
  var count = document.getElementById("bodies-count");
  if (search && rows.length) {
    var plain = function (text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
    };
    search.addEventListener("input", function () {
      var words = plain(search.value).split(/\s+/).filter(Boolean), shown = 0;
      rows.forEach(function (row) {
        var hit = words.every(function (w) { return row.dataset.search.indexOf(w) >= 0; });
        row.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      if (count) { count.textContent = shown + " enti su " + count.dataset.total + "."; }
    });
  }
});
