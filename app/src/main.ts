import { pickLanguage, type Language } from '../../adapters/tabular/language.js';
import { createPageApi, type ClinferPageApi } from './embed/page-api.js';
import { listenToHost } from './embed/post-message.js';
import { useBundledCodecs } from './decode/codecs.js';
import { registerServiceWorker } from './offline/register.js';
import { AppView } from './ui/app-view.js';
import './style.css';

declare global {
  interface Window { clinfer: ClinferPageApi }
}

const LANGUAGE_KEY = 'clinfer.language';

/** The page's wiring: language, the view, the page API (window.clinfer, postMessage), the service worker. */
function start(): void {
  useBundledCodecs();
  const params = new URLSearchParams(location.search);
  const saved = safely(() => localStorage.getItem(LANGUAGE_KEY)) ?? undefined;
  const language: Language = pickLanguage(params.get('lang') ?? saved ?? navigator.languages.join(','));
  document.documentElement.lang = language;
  const view = new AppView(document.getElementById('app')!, {
    language,
    onLanguage: (l) => safely(() => localStorage.setItem(LANGUAGE_KEY, l)),
    initialModel: params.get('model') ?? undefined,
  });
  const api = createPageApi(() => view.language, (outcome) => view.show(outcome));
  window.clinfer = api;
  listenToHost(api);
  void registerServiceWorker();
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

start();
