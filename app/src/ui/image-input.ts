import { h } from './dom.js';
import type { Texts } from './i18n.js';

/** A drop zone and a file chooser; the file is handed to `onFile`, never uploaded. */
export function imageInput(t: Texts, onFile: (file: File) => void): HTMLElement {
  const chooser = h('input', { type: 'file', id: 'file-input', accept: '.dcm,.png,.jpg,.jpeg,application/dicom,image/png,image/jpeg' });
  chooser.addEventListener('change', () => {
    const file = chooser.files?.[0];
    if (file) onFile(file);
    chooser.value = '';
  });
  const zone = h('div', { class: 'drop-zone', id: 'drop-zone', tabindex: '0' }, h('p', {}, t.dropImage), h('label', { class: 'button' }, t.chooseFile, chooser));
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) onFile(file);
  });
  return zone;
}
