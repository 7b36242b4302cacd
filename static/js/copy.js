// Copy buttons: <button data-copy="#field" data-copy-status="status-id"> copies the field's value
// and says so in the (polite, live) status element. Falls back to selecting the text where the
// Clipboard API is unavailable (pages not served over HTTPS or from localhost).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus || "");
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch (error) {
    field.focus();
    field.select();
    copied = document.execCommand && document.execCommand("copy");
  }
  if (status) {
    status.textContent = copied
      ? "Copied to the clipboard."
      : "Copying did not work here: the token is selected, copy it with your keyboard.";
  }
});
