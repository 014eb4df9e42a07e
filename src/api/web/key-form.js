// @ts-check

/**
 * The small form that asks for an API key when the page has none or the API refused it. The key
 * goes to the page's script only: the form is never submitted to any server.
 */
export class KeyForm {
  /**
   * @param {HTMLElement} dialog the overlay holding `form`, `#key-message` and `#key-input`
   * @param {(key: string) => void} onKey
   */
  constructor(dialog, onKey) {
    this.dialog = dialog;
    this.form = /** @type {HTMLFormElement} */ (dialog.querySelector('form'));
    this.message = /** @type {HTMLElement} */ (dialog.querySelector('#key-message'));
    this.input = /** @type {HTMLInputElement} */ (dialog.querySelector('#key-input'));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = this.input.value.trim();
      if (!key) return;
      this.input.value = '';
      this.hide();
      onKey(key);
    });
  }

  /**
   * Shows the form; `message` says why (null: the page simply has no key yet).
   * @param {string | null} message
   */
  show(message) {
    this.message.textContent = message ?? 'This page needs a parcelwatch API key to read data.';
    this.message.classList.toggle('error', message !== null);
    this.dialog.hidden = false;
    this.input.focus();
  }

  hide() {
    this.dialog.hidden = true;
  }
}
