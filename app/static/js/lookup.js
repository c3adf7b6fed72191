// Relation fields that search as you type (app/views/lookup.py): Select2 asks the server for the
// best matches in the user's scope instead of the page holding every record of a large table.
(function ($) {
  "use strict";
  if (!$ || !$.fn.select2) { return; }
  $(function () {
    $("select.eks-lookup").each(function () {
      var $el = $(this);
      $el.select2({
        width: "100%",
        allowClear: !$el.prop("required"),
        placeholder: "Select Value",
        minimumInputLength: 2,
        ajax: {
          url: $el.data("lookup-url"),
          dataType: "json",
          delay: 250,
          data: function (params) { return {q: params.term}; },
          processResults: function (data) { return {results: data.results}; }
        }
      });
    });
  });
})(window.jQuery);
