import { LANGUAGES, type Language } from '../../../adapters/tabular/language.js';
import { RecordsError, recordsToRows } from '../../../adapters/tabular/records.js';
import { shortfall, type Shortfall } from '../../../adapters/tabular/least-observed.js';
import type { TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import { loadModel, type LoadedModel } from '../bundle/loaded-model.js';
import { AppError, toAppError } from '../errors.js';
import { OutOfScopeError } from '../inference/image-predict.js';
import { ortRuntime } from '../inference/ort-runtime.js';
import { isBlob, runPrediction, type PredictInput, type PredictOutcome } from '../inference/predict.js';
import { readyModels } from '../offline/ready-models.js';
import { readToken, saveToken } from '../server/token.js';
import { regulatoryStatus } from './bundle-texts.js';
import { h } from './dom.js';
import { imageInput } from './image-input.js';
import { ImageViewer } from './image-viewer.js';
import { modelCard } from './model-card.js';
import { modelList } from './model-list.js';
import { headline, resultView } from './result-view.js';
import { scopeList } from './scope-text.js';
import { markFields, tabularForm } from './tabular-form.js';
import { featureWords, viewContext, type ViewContext } from './view-context.js';

export interface AppViewOptions {
  readonly language: Language;
  readonly onLanguage: (language: Language) => void;
  readonly initialModel: string | undefined;
}

/** What the page shows in its error box: the code's sentence in the reader's language, and the detail. */
interface Shown {
  readonly error: AppError;
  /** Out of scope: the findings, in the reader's words. */
  readonly scope?: OutOfScopeError;
}

/**
 * The clinician's page: pick a model, give an image or the feature values, see the answer and the
 * model card. Everything runs here; the only requests are for the app, the model list, metadata and
 * bundle files. Each render rebuilds the content but keeps the keyboard focus where it was (by id); a
 * prediction moves it to the result's heading, an error to the error box; the live region (built once)
 * announces what changed.
 */
export class AppView {
  readonly #content: HTMLElement;
  readonly #announcer: HTMLElement;
  #ctx: ViewContext;
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
  /** The loaded image at full resolution with its header, kept across renders for the same file. */
  #viewer: ImageViewer | undefined;
  #status = '';
  #shown: Shown | undefined;
  #insufficient: Shortfall | undefined;

  constructor(root: HTMLElement, options: AppViewOptions) {
    this.#content = h('div', { class: 'content' });
    this.#announcer = h('div', { id: 'announcer', class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    root.replaceChildren(this.#content, this.#announcer);
    this.#ctx = viewContext(options.language);
    this.#onLanguage = options.onLanguage;
    this.#render();
    void this.#start(options.initialModel);
  }

  get language(): Language {
    return this.#ctx.language;
  }

  async #start(initial: string | undefined): Promise<void> {
    this.#shown = undefined;
    try {
      const { names, offline } = await readyModels();
      this.#offline ||= offline;
      this.#models = names;
    } catch (error) {
      this.#models = undefined;
      if (!initial) this.#shown = { error: toAppError(error) };
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
    this.#viewer = undefined;
    this.#shown = undefined;
    this.#insufficient = undefined;
    this.#setStatus(this.#ctx.t.loading);
    this.#render(name);
    try {
      this.#model = await loadModel(name, { refresh: true });
      this.#offline ||= this.#model.offline;
      this.#setStatus('');
      this.#announce(`${this.#ctx.t.model}: ${name}`);
    } catch (error) {
      this.#setStatus('');
      this.#shown = { error: toAppError(error) };
    }
    this.#render(name);
    if (this.#shown) this.#focus('error');
  }

  async #predict(input: PredictInput): Promise<void> {
    const model = this.#model;
    if (!model) return;
    this.#lastInput = input;
    this.#shown = undefined;
    this.#outcome = undefined;
    this.#insufficient = model.kind.type === 'tabular' ? this.#shortOfData(model.kind.spec, input) : undefined;
    if (this.#insufficient) {
      // Too little data: ask for it instead of scoring.
      this.#render();
      this.#announce(this.#ctx.t.insufficientTitle);
      this.#focus('insufficient');
      return;
    }
    if (isBlob(input) && model.kind.type === 'image') this.#viewer = new ImageViewer(input, this.#ctx);
    this.#setStatus(this.#ctx.t.running);
    this.#render();
    try {
      this.#outcome = await runPrediction(model.name, input, this.#ctx.language);
    } catch (error) {
      const appError = toAppError(error);
      this.#shown = { error: appError, ...(appError instanceof OutOfScopeError ? { scope: appError } : {}) };
    }
    this.#setStatus('');
    this.#render();
    if (this.#outcome) {
      this.#announce(this.#ctx.t.resultIs(headline(this.#outcome, this.#ctx)));
      this.#focus('result-heading');
    } else {
      this.#focus('error');
    }
  }

  /**
   * The bundle's least observed data (adapters/tabular/least-observed.ts, as the server); a bundle that
   * declares none still needs one value at least. Values the model would refuse are left to the model.
   */
  #shortOfData(spec: TabularSpec, input: PredictInput): Shortfall | undefined {
    let rows;
    try {
      rows = recordsToRows(spec, { records: [input] });
    } catch (error) {
      if (error instanceof RecordsError) return undefined;
      throw error;
    }
    const imputed = rows[0]!.imputed;
    const short = shortfall(spec, imputed);
    if (short) return short;
    if (imputed.every(Boolean)) return { missingRequired: [], imputed: spec.features.map((f) => f.name), imputedShare: 1, maxImputedShare: 1 };
    return undefined;
  }

  /** Shows a prediction made through the page API (window.clinfer or postMessage) too. */
  show(outcome: PredictOutcome): void {
    if (outcome.model.name !== this.#model?.name) return;
    this.#outcome = outcome;
    this.#render();
  }

  #setLanguage(language: Language): void {
    this.#ctx = viewContext(language);
    this.#onLanguage(language);
    document.documentElement.lang = language;
    this.#viewer?.setContext(this.#ctx);
    if (this.#lastInput && this.#model) void this.#predict(this.#lastInput).then(() => this.#focus('language'));
    else this.#render();
  }

  #announce(text: string): void {
    // Cleared first, so the same words said twice are announced twice.
    this.#announcer.textContent = '';
    setTimeout(() => { this.#announcer.textContent = text; }, 50);
  }

  #setStatus(text: string): void {
    this.#status = text;
    if (text) this.#announce(text);
  }

  #focus(id: string): void {
    document.getElementById(id)?.focus();
  }

  #render(selecting?: string): void {
    const { t } = this.#ctx;
    const focused = document.activeElement instanceof HTMLElement && this.#content.contains(document.activeElement) ? document.activeElement.id : '';
    const current = selecting ?? this.#model?.name ?? this.#wanted;
    const language = h('select', { id: 'language' }, LANGUAGES.map((l) => h('option', { value: l, selected: l === this.#ctx.language, lang: l }, t.languageNames[l] ?? l)));
    language.addEventListener('change', () => this.#setLanguage(language.value as Language));
    this.#content.replaceChildren(
      h('header', {},
        h('h1', {}, t.title),
        h('label', { for: 'language' }, `${t.language} `), language,
        this.#tokenBox()),
      h('main', {},
        h('section', { class: 'picker', 'aria-label': t.model }, this.#picker(current)),
        this.#model ? '' : modelList(this.#models, this.#ctx),
        this.#model ? h('p', { class: 'regulatory', id: 'model-regulatory' }, `${t.selectedStatus}: `, h('span', {}, modelRegulatory(this.#model, this.#ctx))) : '',
        h('p', { id: 'runtime', class: 'runtime' }),
        this.#offline ? h('p', { id: 'offline', class: 'notice' }, t.offline) : '',
        this.#status ? h('p', { id: 'status', class: 'status' }, this.#status) : '',
        this.#errorBox(),
        h('div', { class: 'columns' },
          h('div', { id: 'input-area' }, this.#inputArea(), this.#insufficientBox(), this.#viewer?.element ?? ''),
          h('div', { id: 'result-area' }, this.#outcome ? resultView(this.#outcome, this.#ctx, featureWords(this.#model, this.#ctx)) : '')),
        this.#model ? modelCard(this.#model.bundle, this.#ctx) : ''),
      h('footer', {}, h('p', {}, t.privacy)));
    if (this.#model?.kind.type === 'tabular' && this.#input) markFields(this.#input.element, this.#fieldMessages());
    if (focused) this.#focus(focused);
    if (this.#model) void ortRuntime().then((r) => { const line = document.getElementById('runtime'); if (line) line.textContent = t.runsOn(r.info.executionProvider, r.info.numThreads); });
  }

  #errorBox(): HTMLElement {
    const { t } = this.#ctx;
    const shown = this.#shown;
    const box = h('div', { id: 'error', class: 'error', role: 'alert', tabindex: '-1', hidden: !shown });
    if (!shown) return box;
    const { error, scope } = shown;
    box.append(
      h('p', {}, this.#ctx.language === 'fr' ? `${t.error} : ` : `${t.error}: `, scope ? t.outOfScopeTitle : (t.errors[error.code] ?? error.message)),
      scope ? scopeList(this.#model?.bundle.input_scope, scope.info, scope.scope.outOfScope, this.#ctx, 'scope-findings') : '',
      h('details', { class: 'detail' }, h('summary', {}, t.technicalDetail), h('p', { class: 'code', translate: 'no' }, `${error.code}: ${error.message}`)));
    return box;
  }

  /** The message next to each field: a required value not given, or the field an INVALID_INPUT names (records[0].chol: ...). */
  #fieldMessages(): Map<string, string> {
    const { t } = this.#ctx;
    const messages = new Map((this.#insufficient?.missingRequired ?? []).map((n): [string, string] => [n, t.missingRequired]));
    const error = this.#shown?.error;
    if (error?.code === 'INVALID_INPUT') for (const m of error.message.matchAll(/records\[\d+\]\.([A-Za-z0-9_]+)/g)) messages.set(m[1]!, t.fieldError);
    return messages;
  }

  #insufficientBox(): HTMLElement | string {
    const short = this.#insufficient;
    if (!short) return '';
    const words = featureWords(this.#model, this.#ctx);
    const toRecord = [...short.missingRequired, ...short.imputed.filter((n) => !short.missingRequired.includes(n))];
    return h('div', { class: 'insufficient', id: 'insufficient', tabindex: '-1', role: 'alert' },
      h('p', {}, h('strong', {}, this.#ctx.t.insufficientTitle)),
      h('ul', {}, toRecord.map((n) => h('li', { 'data-feature': n }, words.name(n), short.missingRequired.includes(n) ? ` (${this.#ctx.t.missingRequired})` : ''))));
  }

  #picker(current: string | undefined): HTMLElement {
    const { t } = this.#ctx;
    if (this.#models) {
      if (this.#models.length === 0) return h('p', {}, t.noModels);
      const select = h('select', { id: 'model-select' },
        h('option', { value: '', disabled: true, selected: !current }, t.chooseModel),
        this.#models.map((m) => h('option', { value: m, selected: m === current, translate: 'no' }, m)));
      select.addEventListener('change', () => void this.#select(select.value).then(() => this.#focus('model-select')));
      return h('span', {}, h('label', { for: 'model-select' }, `${t.model} `), select);
    }
    // No list (token without the admin scope, or offline with nothing saved): type a name.
    const name = h('input', { id: 'model-name', value: current ?? '' });
    const open = h('button', { type: 'button', id: 'model-open' }, t.open);
    open.addEventListener('click', () => { if (name.value.trim()) void this.#select(name.value.trim()); });
    return h('span', {}, h('label', { for: 'model-name' }, `${t.nameModel} `), name, ' ', open);
  }

  #inputArea(): HTMLElement | string {
    const model = this.#model;
    if (!model) return '';
    const key = `${model.name}/${model.version}/${model.digest}/${this.#ctx.language}`;
    if (this.#input?.key !== key) {
      const element = model.kind.type === 'image'
        ? imageInput(this.#ctx.t, (file) => void this.#predict(file))
        : tabularForm(model.kind.spec, model.bundle, this.#ctx, (record) => void this.#predict(record));
      this.#input = { key, element };
    }
    return this.#input.element;
  }

  #tokenBox(): HTMLElement {
    const { t } = this.#ctx;
    const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', value: readToken() ?? '' });
    const form = h('form', { class: 'token-form' }, h('label', { for: 'token-input' }, t.token), ' ', input, ' ', h('button', { type: 'submit', id: 'token-save' }, t.saveToken));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      saveToken(input.value || undefined);
      void this.#start(this.#model?.name ?? this.#wanted);
    });
    return h('details', { class: 'token' }, h('summary', {}, h('span', { 'aria-hidden': 'true' }, '🔑 '), t.token), h('p', {}, t.tokenHelp), form);
  }
}

function modelRegulatory(model: LoadedModel, ctx: ViewContext): string {
  return regulatoryStatus(model.bundle, ctx.t, ctx.language);
}
