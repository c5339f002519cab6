import { h } from './dom.js';
import type { Texts } from './i18n.js';

/**
 * A drop zone and a real file button; the file is handed to `onFile`, never uploaded. The zone takes
 * the keyboard too: Enter or Space on it opens the same file chooser as the button.
 */
export function imageInput(t: Texts, onFile: (file: File) => void): HTMLElement {
  const chooser = h('input', { type: 'file', id: 'file-input', class: 'visually-hidden', tabindex: '-1', 'aria-label': t.imageFile, accept: '.dcm,.png,.jpg,.jpeg,application/dicom,image/png,image/jpeg' });
  chooser.addEventListener('change', () => {
    const file = chooser.files?.[0];
    if (file) onFile(file);
    chooser.value = '';
  });
  const button = h('button', { type: 'button', id: 'file-button' }, t.chooseFile);
  button.addEventListener('click', () => chooser.click());
  // Its name is its text (what a speech-input user reads and says); the keys it takes are its description.
  const zone = h('div', { class: 'drop-zone', id: 'drop-zone', tabindex: '0', role: 'button', 'aria-describedby': 'drop-zone-keys' },
    h('p', {}, t.dropImage), h('span', { id: 'drop-zone-keys', class: 'visually-hidden' }, t.dropZoneLabel));
  zone.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    chooser.click();
  });
  zone.addEventListener('click', () => chooser.click());
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) onFile(file);
  });
  return h('div', { class: 'image-input' }, zone, h('p', { class: 'file-line' }, button, chooser));
}
