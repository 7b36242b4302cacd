// The validation queue: "select all on this page" ticks every item of the table shown.
document.addEventListener("change", function (event) {
  if (event.target && event.target.id === "select-page") {
    document.querySelectorAll("#queue .queue-pick").forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
