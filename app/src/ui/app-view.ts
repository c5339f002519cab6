import { LANGUAGES, translate, type Language } from '../../../adapters/tabular/language.js';
import { loadModel, type LoadedModel } from '../bundle/loaded-model.js';
import { toAppError } from '../errors.js';
import { ortRuntime } from '../inference/ort-runtime.js';
import { runPrediction, type PredictInput, type PredictOutcome } from '../inference/predict.js';
import { listModels } from '../server/models.js';
import { readToken, saveToken } from '../server/token.js';
import { h } from './dom.js';
import { TEXTS, type Texts } from './i18n.js';
import { imageInput } from './image-input.js';
import { modelCard } from './model-card.js';
import { resultView } from './result-view.js';
import { tabularForm } from './tabular-form.js';

export interface AppViewOptions {
  readonly language: Language;
  readonly onLanguage: (language: Language) => void;
  readonly initialModel: string | undefined;
}

/**
 * The clinician's page: pick a model, give an image or the feature values, see the answer and the
 * model card. Everything runs here; the only requests are for the app, the model list, metadata and
 * bundle files.
 */
export class AppView {
  readonly #root: HTMLElement;
  #language: Language;
  #t: Texts;
  readonly #onLanguage: (language: Language) => void;
  #models: string[] | undefined;
  #model: LoadedModel | undefined;
  /** The model asked for last (URL, list or typed), kept to try again, e.g. once a token is given. */
  #wanted: string | undefined;
  #lastInput: PredictInput | undefined;
  #outcome: PredictOutcome | undefined;
  #offline = false;
  /** The input form, kept across renders so typed values survive a prediction; rebuilt per model and language. */
  #input: { key: string; element: HTMLElement } | undefined;
  #status = '';
  #error = '';

  constructor(root: HTMLElement, options: AppViewOptions) {
    this.#root = root;
    this.#language = options.language;
    this.#t = TEXTS[options.language];
    this.#onLanguage = options.onLanguage;
    this.#render();
    void this.#start(options.initialModel);
  }

  get language(): Language {
    return this.#language;
  }

  async #start(initial: string | undefined): Promise<void> {
    this.#error = '';
    try {
      const { value, offline } = await listModels();
      this.#offline ||= offline;
      this.#models = [...new Set(value.filter((e) => e.state === 'READY').map((e) => e.name))].sort();
    } catch (error) {
      this.#models = undefined;
      if (!initial) this.#error = toAppError(error).message;
    }
    const pick = initial ?? (this.#models?.length === 1 ? this.#models[0] : undefined);
    if (pick) await this.#select(pick);
    else this.#render();
  }

  async #select(name: string): Promise<void> {
    this.#wanted = name;
    this.#model = undefined;
    this.#outcome = undefined;
    this.#lastInput = undefined;
    this.#error = '';
    this.#status = this.#t.loading;
    this.#render(name);
    try {
      this.#model = await loadModel(name, { refresh: true });
      this.#offline ||= this.#model.offline;
      this.#status = '';
    } catch (error) {
      this.#status = '';
      this.#error = toAppError(error).message;
    }
    this.#render(name);
  }

  async #predict(input: PredictInput): Promise<void> {
    if (!this.#model) return;
    this.#lastInput = input;
    this.#error = '';
    this.#outcome = undefined;
    this.#status = this.#t.running;
    this.#render();
    try {
      this.#outcome = await runPrediction(this.#model.name, input, this.#language);
    } catch (error) {
      this.#error = toAppError(error).message;
    }
    this.#status = '';
    this.#render();
  }

  /** Shows a prediction made through the page API (window.clinfer or postMessage) too. */
  show(outcome: PredictOutcome): void {
    if (outcome.model.name !== this.#model?.name) return;
    this.#outcome = outcome;
    this.#render();
  }

  #setLanguage(language: Language): void {
    this.#language = language;
    this.#t = TEXTS[language];
    this.#onLanguage(language);
    document.documentElement.lang = language;
    if (this.#lastInput && this.#model) void this.#predict(this.#lastInput);
    else this.#render();
  }

  #render(selecting?: string): void {
    const t = this.#t;
    const current = selecting ?? this.#model?.name ?? this.#wanted;
    const language = h('select', { id: 'language', 'aria-label': t.language }, LANGUAGES.map((l) => h('option', { value: l, selected: l === this.#language }, l.toUpperCase())));
    language.addEventListener('change', () => this.#setLanguage(language.value as Language));
    this.#root.replaceChildren(
      h('header', {},
        h('h1', {}, t.title),
        h('label', {}, `${t.language} `, language),
        this.#tokenBox()),
      h('main', {},
        h('section', { class: 'picker' }, this.#picker(current)),
        h('p', { id: 'runtime', class: 'runtime' }),
        this.#offline ? h('p', { id: 'offline', class: 'notice' }, t.offline) : '',
        this.#status ? h('p', { id: 'status', class: 'status' }, this.#status) : '',
        h('div', { id: 'error', class: 'error', role: 'alert', hidden: !this.#error }, this.#error ? `${t.error}: ${this.#error}` : ''),
        h('div', { class: 'columns' },
          h('div', { id: 'input-area' }, this.#inputArea()),
          h('div', { id: 'result-area' }, this.#outcome ? resultView(this.#outcome, t, this.#featureLabel) : '')),
        this.#model ? modelCard(this.#model.bundle, t) : ''),
      h('footer', {}, h('p', {}, t.privacy)));
    if (this.#model) void ortRuntime().then((r) => { document.getElementById('runtime')!.textContent = t.runsOn(r.info.executionProvider, r.info.numThreads); });
  }

  #picker(current: string | undefined): HTMLElement {
    const t = this.#t;
    if (this.#models) {
      if (this.#models.length === 0) return h('p', {}, t.noModels);
      const select = h('select', { id: 'model-select', 'aria-label': t.model },
        h('option', { value: '', disabled: true, selected: !current }, t.chooseModel),
        this.#models.map((m) => h('option', { value: m, selected: m === current }, m)));
      select.addEventListener('change', () => void this.#select(select.value));
      return h('label', {}, `${t.model} `, select);
    }
    // No list (token without the admin scope, or offline with nothing saved): type a name.
    const name = h('input', { id: 'model-name', 'aria-label': t.nameModel, value: current ?? '' });
    const open = h('button', { type: 'button' }, t.open);
    open.addEventListener('click', () => { if (name.value.trim()) void this.#select(name.value.trim()); });
    return h('span', {}, h('label', {}, `${t.nameModel} `, name), open);
  }

  #inputArea(): HTMLElement | string {
    const model = this.#model;
    if (!model) return '';
    const key = `${model.name}/${model.version}/${model.digest}/${this.#language}`;
    if (this.#input?.key !== key) {
      const element = model.kind.type === 'image'
        ? imageInput(this.#t, (file) => void this.#predict(file))
        : tabularForm(model.kind.spec, this.#language, this.#t, (record) => void this.#predict(record));
      this.#input = { key, element };
    }
    return this.#input.element;
  }

  /** A feature's label in the page's language (tabular models), else its name. */
  #featureLabel = (name: string): string => {
    const kind = this.#model?.kind;
    const feature = kind?.type === 'tabular' ? kind.spec.features.find((f) => f.name === name) : undefined;
    return translate(feature?.label, this.#language, name);
  };

  #tokenBox(): HTMLElement {
    const t = this.#t;
    const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', value: readToken() ?? '' });
    const form = h('form', { class: 'token-form' }, input, h('button', { type: 'submit', id: 'token-save' }, t.saveToken));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      saveToken(input.value || undefined);
      void this.#start(this.#model?.name ?? this.#wanted);
    });
    return h('details', { class: 'token' }, h('summary', {}, `🔑 ${t.token}`), h('p', {}, t.tokenHelp), form);
  }
}
