import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

/**
 * deploy/kubernetes and deploy/kserve, checked without a cluster: every object against the schema the API
 * server would apply (kubernetes-models for the built-in kinds, KServe's own CRDs for its kinds), unknown
 * fields refused as kubectl's default strict field validation refuses them, then the properties the
 * manifests exist for (probes on the OIP health endpoints, non-root read-only container, drain timing,
 * selectors that match, the autoscaler's metric served by the adapter rule, a ServingRuntime for onnx/v2).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KUBERNETES_DIR = join(ROOT, 'deploy/kubernetes');
const KSERVE_DIR = join(ROOT, 'deploy/kserve');
const KSERVE_CRDS = join(ROOT, 'test/fixtures/kserve');

// ------------------------------------------------------------------------------------------------ types

type Json = Record<string, unknown>;

interface KubeObject extends Json {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

interface Manifest {
  /** Path relative to the repository root, with the document's index when the file holds several. */
  readonly where: string;
  readonly file: string;
  readonly object: KubeObject;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Probe {
  httpGet?: { path?: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { resourceFieldRef?: { resource: string; divisor?: string | number } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

interface Volume {
  name: string;
  emptyDir?: Json;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
}

// ------------------------------------------------------------------------------------------------ loading

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

/** Every non-empty YAML document under the folders; a syntax error fails here, naming the file. */
function loadManifests(...dirs: string[]): Manifest[] {
  return dirs.flatMap((dir) =>
    yamlFiles(dir).flatMap((file) => {
      const documents = parseAllDocuments(readFileSync(file, 'utf8'));
      return documents.flatMap((document, index) => {
        const where = `${relative(ROOT, file)}${documents.length > 1 ? `#${index}` : ''}`;
        if (document.errors.length > 0) throw new Error(`${where}: ${document.errors.map((e) => e.message).join('; ')}`);
        const object: unknown = document.toJS();
        if (object === null || object === undefined) return [];
        if (!isObject(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
          throw new Error(`${where}: not a Kubernetes object (apiVersion and kind are required)`);
        }
        return [{ where, file, object: object as KubeObject }];
      });
    }),
  );
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const clone = <T>(value: T): T => structuredClone(value);

// ------------------------------------------------------------------------------------------------ built-in kinds

/**
 * The built-in kinds the manifests use: kubernetes-models' class (its validate() runs the generated
 * OpenAPI validator: types, required fields, enums) and its TypeScript interface, which lists every field
 * the API knows and serves the unknown-field check below.
 */
const KUBERNETES_KINDS = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler, module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', type: 'IHorizontalPodAutoscaler' },
} as const;
type KubernetesKind = keyof typeof KUBERNETES_KINDS;

const kindKey = (o: { apiVersion: string; kind: string }) => `${o.apiVersion}/${o.kind}`;
const isKubernetesKind = (key: string): key is KubernetesKind => Object.hasOwn(KUBERNETES_KINDS, key);

/** kubernetes-models' schema validation; throws its ValidationError ("data/spec/replicas must be integer"). */
function validateKubernetes(object: KubeObject): void {
  const key = kindKey(object);
  if (!isKubernetesKind(key)) throw new Error(`no kubernetes-models class registered for ${key}`);
  const Model = KUBERNETES_KINDS[key].model as unknown as new (data: unknown) => { validate(): void };
  new Model(object).validate();
}

let fieldTypes: { checker: ts.TypeChecker; types: Map<KubernetesKind, ts.Type> } | undefined;

/**
 * The TypeScript types of the registered kinds, read from kubernetes-models' declarations by the compiler
 * (once, about two seconds). kubernetes-models' own validators accept unknown fields, the API server does
 * not (kubectl's default --validate=strict): a misspelt readOnlyRootFilesystem would otherwise pass.
 */
function kubernetesFieldTypes() {
  if (fieldTypes) return fieldTypes;
  const entry = join(ROOT, 'test/integration/__kubernetes-models-types__.ts');
  const keys = Object.keys(KUBERNETES_KINDS) as KubernetesKind[];
  const source = keys.map((key, i) => `import type { ${KUBERNETES_KINDS[key].type} as T${i} } from '${KUBERNETES_KINDS[key].module}';\nexport type { T${i} };`).join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true, noEmit: true, types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (file, language, ...rest) => (file === entry ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest));
  host.fileExists = (file) => file === entry || fileExists(file);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const exported = new Map(checker.getExportsOfModule(module).map((symbol) => [symbol.name, symbol]));
  const types = new Map(keys.map((key, i) => {
    const symbol = exported.get(`T${i}`);
    if (!symbol) throw new Error(`cannot resolve ${KUBERNETES_KINDS[key].type} from ${KUBERNETES_KINDS[key].module}`);
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    if (checker.getPropertiesOfType(type).length === 0) throw new Error(`${KUBERNETES_KINDS[key].type} resolved to a type without fields`);
    return [key, type] as const;
  }));
  fieldTypes = { checker, types };
  return fieldTypes;
}

/** Paths of the fields of `object` that its kind does not define, e.g. ".spec.template.spec.containers[0].prots". */
function unknownKubernetesFields(object: KubeObject): string[] {
  const key = kindKey(object);
  if (!isKubernetesKind(key)) throw new Error(`no kubernetes-models type registered for ${key}`);
  const { checker, types } = kubernetesFieldTypes();
  const unknown: string[] = [];
  const walk = (value: unknown, type: ts.Type, path: string): void => {
    if (typeof value !== 'object' || value === null) return;
    const nonNull = checker.getNonNullableType(type);
    const shapes = (nonNull.isUnion() ? nonNull.types : [nonNull]).filter((t) => t.flags & ts.TypeFlags.Object);
    if (shapes.length === 0) return; // a scalar type (int-or-string, quantity): the schema validator judges the value
    if (Array.isArray(value)) {
      const element = shapes.filter((t) => checker.isArrayType(t)).map((t) => checker.getTypeArguments(t as ts.TypeReference)[0])[0];
      if (element) value.forEach((item, i) => walk(item, element, `${path}[${i}]`));
      return;
    }
    for (const [field, item] of Object.entries(value)) {
      const property = shapes.map((t) => t.getProperty(field)).find((p) => p !== undefined);
      const indexed = shapes.map((t) => checker.getIndexTypeOfType(t, ts.IndexKind.String)).find((t) => t !== undefined);
      if (property) walk(item, checker.getTypeOfSymbol(property), `${path}.${field}`);
      else if (indexed) walk(item, indexed, `${path}.${field}`);
      else unknown.push(`${path}.${field}`);
    }
  };
  walk(object, types.get(key)!, '');
  return unknown;
}

// ------------------------------------------------------------------------------------------------ KServe kinds

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: AnySchemaObject } }[];
  };
}

type SchemaKeyword = 'properties' | 'additionalProperties' | 'items' | 'not' | 'anyOf' | 'allOf' | 'oneOf';

/**
 * A copy of `schema` with each direct subschema replaced by `f(subschema, keyword)`. Only schema
 * positions are visited, never the name maps themselves: a property may be called "items" or "properties"
 * (a Secret volume's "items" is one), and must not be taken for the keyword.
 */
function withSubschemas(schema: Json, f: (subschema: Json, keyword: SchemaKeyword) => Json): Json {
  const out: Json = { ...schema };
  if (isObject(schema.properties)) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([name, sub]) => [name, isObject(sub) ? f(sub, 'properties') : sub]));
  }
  for (const keyword of ['additionalProperties', 'items', 'not'] as const) {
    const sub = schema[keyword];
    if (isObject(sub)) out[keyword] = f(sub, keyword);
  }
  for (const keyword of ['anyOf', 'allOf', 'oneOf'] as const) {
    const subs = schema[keyword];
    if (Array.isArray(subs)) out[keyword] = subs.map((sub: unknown) => (isObject(sub) ? f(sub, keyword) : sub));
  }
  return out;
}

/**
 * The API server refuses (strict field validation) a field that a structural schema does not declare,
 * unless the object says x-kubernetes-preserve-unknown-fields. JSON Schema accepts it unless the object
 * is closed, so close every object schema that declares properties and sets neither.
 */
function closeObjectSchemas(schema: Json): Json {
  const out = withSubschemas(schema, closeObjectSchemas);
  if (isObject(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** JSON with sorted keys: equal values, equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The same subschema recurs hundreds of times in a CRD (a Container under predictor, explainer,
 * transformer, initContainers...): Ajv would generate code for each copy (seconds for the 2 MB
 * InferenceService CRD). Identical object subschemas become one $defs entry behind a $ref, compiled once.
 * The items of an x-kubernetes-list-type "map" stay inline: that keyword reads their defaults.
 */
function shareRepeatedSubschemas(root: Json): Json {
  const digests = new Map<Json, string>();
  const uses = new Map<string, number>();
  const digestOf = (schema: Json): string => {
    const summary = withSubschemas(schema, (sub) => ({ $digest: digestOf(sub) }));
    const digest = createHash('sha256').update(canonicalJson(summary)).digest('hex').slice(0, 32);
    digests.set(schema, digest);
    uses.set(digest, (uses.get(digest) ?? 0) + 1);
    return digest;
  };
  digestOf(root);
  const defs: Record<string, Json> = {};
  const share = (schema: Json, inline: boolean): Json => {
    const listMap = schema['x-kubernetes-list-type'] === 'map';
    const body = () => withSubschemas(schema, (sub, keyword) => share(sub, listMap && keyword === 'items'));
    const digest = digests.get(schema)!;
    const worthSharing = schema.properties !== undefined || schema.items !== undefined;
    if (inline || !worthSharing || uses.get(digest)! < 2) return body();
    defs[digest] ??= body();
    return { $ref: `#/$defs/${digest}` };
  };
  return { ...share(root, true), $defs: defs };
}

/** Ajv that understands the Kubernetes extensions found in CRD schemas. */
function kubernetesAjv(): Ajv {
  // inlineRefs false: each shared $defs entry becomes one function (shareRepeatedSubschemas).
  const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false });
  ajvFormats.default(ajv); // int32, int64, date-time
  // Kubernetes' own OpenAPI writes int-or-string as a format; CRDs use the x- keyword beside an anyOf.
  ajv.addFormat('int-or-string', { type: 'string', validate: () => true });
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    validate: (flag: boolean, data: unknown) => !flag || typeof data === 'string' || Number.isInteger(data),
  });
  // set: no two equal items; map: no two items with the same x-kubernetes-list-map-keys (defaults applied,
  // as the API server applies them first: two container ports 8080 with and without "protocol: TCP" clash).
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    type: 'array',
    schemaType: 'string',
    validate: (listType: string, data: unknown[], parent?: AnySchemaObject) => {
      if (listType === 'set') return new Set(data.map((item) => JSON.stringify(item))).size === data.length;
      if (listType !== 'map') return true; // atomic
      const keys: string[] = parent?.['x-kubernetes-list-map-keys'] ?? [];
      const itemProperties: Record<string, AnySchemaObject> = parent?.items?.properties ?? {};
      const identities = data.map((item) => JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined) ?? itemProperties[k]?.default)));
      return new Set(identities).size === identities.length;
    },
  });
  // Read by x-kubernetes-list-type and closeObjectSchemas; merge strategies for server-side apply.
  for (const keyword of ['x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-preserve-unknown-fields']) ajv.addKeyword(keyword);
  return ajv;
}

interface CrdValidator {
  readonly apiVersion: string;
  readonly kind: string;
  readonly validate: ValidateFunction;
}

function loadCrdValidator(ajv: Ajv, file: string): CrdValidator {
  const crd = parseYaml(readFileSync(join(KSERVE_CRDS, file), 'utf8')) as Crd;
  const served = crd.spec.versions.filter((v) => v.served);
  const version = served.find((v) => v.storage) ?? served[0];
  if (!version) throw new Error(`${file}: no served version`);
  const schema = shareRepeatedSubschemas(closeObjectSchemas(version.schema.openAPIV3Schema as Json));
  return { apiVersion: `${crd.spec.group}/${version.name}`, kind: crd.spec.names.kind, validate: ajv.compile(schema) };
}

let crdValidators: Map<string, CrdValidator> | undefined;

function kserveValidators(): Map<string, CrdValidator> {
  if (crdValidators) return crdValidators;
  const ajv = kubernetesAjv();
  const validators = ['serving.kserve.io_servingruntimes.yaml', 'serving.kserve.io_inferenceservices.yaml'].map((file) => loadCrdValidator(ajv, file));
  crdValidators = new Map(validators.map((v) => [kindKey(v), v]));
  return crdValidators;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const detail = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${detail}`;
  });
}

/** Errors of a KServe object against its CRD's served schema; [] when valid. */
function kserveErrors(object: KubeObject): string[] {
  const validator = kserveValidators().get(kindKey(object));
  if (!validator) throw new Error(`no CRD in test/fixtures/kserve for ${kindKey(object)}`);
  // The CRD schema leaves metadata to ObjectMeta; the names must still be DNS labels (InferenceService
  // names become host names and Service names).
  const nameErrors = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(object.metadata?.name ?? '') ? [] : [`/metadata/name '${object.metadata?.name}' is not a DNS-1035 label`];
  return validator.validate(object) ? nameErrors : [...nameErrors, ...describeErrors(validator.validate.errors)];
}

// ------------------------------------------------------------------------------------------------ helpers for the outcomes

const kubernetesManifests = loadManifests(KUBERNETES_DIR).filter((m) => m.object.kind !== 'Kustomization');
const kserveManifests = loadManifests(KSERVE_DIR);

function only(manifests: Manifest[], kind: string, file?: string): KubeObject {
  const found = manifests.filter((m) => m.object.kind === kind && (file === undefined || basename(m.file) === file));
  if (found.length !== 1) throw new Error(`expected one ${kind}${file ? ` in ${file}` : ''}, found ${found.length}`);
  return found[0]!.object;
}

function selects(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || (!selector.matchLabels && !selector.matchExpressions)) return false; // an empty selector is a mistake here
  const have = labels ?? {};
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => have[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return key in have && values.includes(have[key]!);
    if (operator === 'NotIn') return !(key in have) || !values.includes(have[key]!);
    if (operator === 'Exists') return key in have;
    if (operator === 'DoesNotExist') return !(key in have);
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabels && byExpressions;
}

/** The container port a probe's httpGet.port names (by name or number). */
function probePort(container: Container, probe: Probe | undefined): number | undefined {
  const port = probe?.httpGet?.port;
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function httpPort(container: Container): number {
  const port = container.ports?.find((p) => p.name === 'http') ?? container.ports?.[0];
  if (!port) throw new Error(`container ${container.name} declares no port`);
  return port.containerPort;
}

function preStopSleepSeconds(container: Container): number | undefined {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  const sleep = command.findIndex((word) => word === 'sleep' || word.endsWith('/sleep'));
  return sleep >= 0 && command[sleep + 1] !== undefined ? Number(command[sleep + 1]) : undefined;
}

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities: pod and container contexts merged. */
function hardeningProblems(pod: SecurityContext | undefined, container: SecurityContext | undefined): string[] {
  const merged: SecurityContext = { ...pod, ...container };
  const problems: string[] = [];
  if (merged.runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
  if (merged.runAsUser === 0) problems.push('runAsUser is 0');
  if (merged.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
  if (merged.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (!merged.capabilities?.drop?.includes('ALL')) problems.push('capabilities do not drop ALL');
  if ((merged.capabilities?.add ?? []).length > 0) problems.push('capabilities are added');
  if (merged.seccompProfile?.type !== 'RuntimeDefault' && merged.seccompProfile?.type !== 'Localhost') problems.push('no seccomp profile');
  return problems;
}

/** A writable /tmp (temporary files) on an emptyDir, as the root filesystem is read-only. */
function tmpIsEmptyDir(container: Container, volumes: Volume[] | undefined): boolean {
  const mount = container.volumeMounts?.find((m) => m.mountPath === '/tmp' || m.mountPath === '/tmp/');
  return mount !== undefined && mount.readOnly !== true && volumes?.find((v) => v.name === mount.name)?.emptyDir !== undefined;
}

/**
 * Why clinfer would refuse to start, or start open to anyone: it will not serve a non-loopback address
 * without authentication (SECURITY.md). `settings` are the CLINFER_* variables the container gets.
 */
function authenticationProblems(settings: Record<string, string | undefined>, container: Container, volumes: Volume[] | undefined): string[] {
  const host = settings.CLINFER_HOST ?? '127.0.0.1';
  if (/^(127\.|localhost$|::1$)/.test(host)) return [];
  const problems: string[] = [];
  if (['1', 'true'].includes(settings.CLINFER_INSECURE ?? '')) problems.push('CLINFER_INSECURE serves without authentication');
  const keysFile = settings.CLINFER_API_KEYS_FILE;
  if (!keysFile && !settings.CLINFER_OIDC_ISSUER && !settings.CLINFER_TLS_CLIENT_CA_FILE) problems.push(`${host} without apiKeys, oidc or a client CA: clinfer refuses to start`);
  if (keysFile) {
    const mount = container.volumeMounts?.find((m) => keysFile.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    const secret = volumes?.find((v) => v.name === mount?.name)?.secret;
    const inside = mount ? keysFile.slice(mount.mountPath.replace(/\/$/, '').length + 1) : '';
    if (!secret) problems.push(`${keysFile} is not on a mounted Secret`);
    else if (secret.items && !secret.items.some((item) => item.path === inside)) problems.push(`the Secret ${secret.secretName} does not project ${inside}`);
  }
  return problems;
}

/** The CLINFER_* variables a container gets: its envFrom ConfigMaps, then its literal env (which wins). */
function containerSettings(container: Container, configMaps: KubeObject[]): Record<string, string | undefined> {
  const fromConfigMaps = (container.envFrom ?? []).map((e) => configMaps.find((c) => c.metadata.name === e.configMapRef?.name)?.data as Record<string, string> | undefined);
  const literal = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  return Object.assign({}, ...fromConfigMaps, literal);
}

const deployment = only(kubernetesManifests, 'Deployment');
const podTemplate = (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
const podSpec = podTemplate.spec;
const clinfer = podSpec.containers.find((c) => c.name === 'clinfer') ?? podSpec.containers[0]!;

// ------------------------------------------------------------------------------------------------ tests

describe('deploy/ manifests parse', () => {
  it('every YAML document under deploy/kubernetes and deploy/kserve is an object with apiVersion and kind', () => {
    expect(kubernetesManifests.length).toBeGreaterThanOrEqual(8);
    expect(kserveManifests.map((m) => m.object.kind).sort()).toEqual(['InferenceService', 'ServingRuntime']);
    for (const { where, object } of [...kubernetesManifests, ...kserveManifests]) {
      expect(object.metadata?.name, `${where} has no metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    }
  });

  it('kustomization.yaml lists every manifest of deploy/kubernetes, and each exists', () => {
    const kustomization = only(loadManifests(KUBERNETES_DIR), 'Kustomization') as KubeObject & { resources: string[]; namespace: string };
    const listed = kustomization.resources.map((r) => join(KUBERNETES_DIR, r)).sort();
    const topLevel = yamlFiles(KUBERNETES_DIR).filter((f) => dirname(f) === KUBERNETES_DIR && basename(f) !== 'kustomization.yaml').sort();
    expect(listed).toEqual(topLevel);
    // The namespace each file names is the one kustomize sets, so `kubectl apply -f file` lands there too.
    for (const { where, object } of kubernetesManifests.filter((m) => dirname(m.file) === KUBERNETES_DIR && m.object.kind !== 'Namespace')) {
      expect(object.metadata.namespace, where).toBe(kustomization.namespace);
    }
    expect(only(kubernetesManifests, 'Namespace').metadata.name).toBe(kustomization.namespace);
  });
});

describe('Kubernetes objects validate against the Kubernetes API schema (kubernetes-models)', () => {
  it.each(kubernetesManifests.map((m) => [m.where, m.object.kind, m] as const))('%s (%s)', (_where, _kind, { object }) => {
    expect(() => validateKubernetes(object)).not.toThrow();
    expect(unknownKubernetesFields(object)).toEqual([]);
  });

  it('the validators bite: a string where an integer is required, and a misspelt field', () => {
    const wrongType = clone(deployment);
    (wrongType.spec as Json).replicas = 'two';
    expect(() => validateKubernetes(wrongType)).toThrow(/\/spec\/replicas must be integer/);

    const wrongProbe = clone(deployment);
    const probeContainer = (wrongProbe.spec as { template: { spec: PodSpec } }).template.spec.containers[0]!;
    (probeContainer.livenessProbe as Json).periodSeconds = '10s';
    expect(() => validateKubernetes(wrongProbe)).toThrow(/livenessProbe\/periodSeconds must be integer/);

    const misspelt = clone(deployment);
    const container = (misspelt.spec as { template: { spec: PodSpec } }).template.spec.containers[0]! as unknown as Json;
    const securityContext = container.securityContext as Json;
    delete securityContext.readOnlyRootFilesystem;
    securityContext.readOnlyRootFileSystem = true; // capital S: the API server refuses it, or drops it when not strict
    container.prots = container.ports;
    expect(unknownKubernetesFields(misspelt)).toEqual([
      '.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem',
      '.spec.template.spec.containers[0].prots',
    ]);
  });
});

describe('KServe objects validate against the KServe CRDs (test/fixtures/kserve)', () => {
  it.each(kserveManifests.map((m) => [m.where, m.object.kind, m] as const))('%s (%s)', (_where, _kind, { object }) => {
    expect(kserveErrors(object)).toEqual([]);
  });

  it('the validators bite: unknown fields, wrong types, bad quantities, duplicate list-map keys', () => {
    const isvc = only(kserveManifests, 'InferenceService');
    const runtime = only(kserveManifests, 'ServingRuntime');

    const unknownField = clone(isvc);
    (unknownField.spec as { predictor: Json }).predictor.modle = { modelFormat: { name: 'onnx' } };
    expect(kserveErrors(unknownField)).toContain("/spec/predictor must NOT have additional properties 'modle'");

    const wrongType = clone(isvc);
    (wrongType.spec as { predictor: Json }).predictor.minReplicas = '1';
    expect(kserveErrors(wrongType)).toContain('/spec/predictor/minReplicas must be integer');

    const noFormatName = clone(isvc);
    (noFormatName.spec as { predictor: { model: Json } }).predictor.model.modelFormat = { version: '1' };
    expect(kserveErrors(noFormatName)).toContain("/spec/predictor/model/modelFormat must have required property 'name'");

    const badQuantity = clone(runtime);
    const runtimeContainer = (badQuantity.spec as { containers: Container[] }).containers[0]!;
    runtimeContainer.resources!.limits!.cpu = '2 cores';
    expect(kserveErrors(badQuantity).join('\n')).toMatch(/\/spec\/containers\/0\/resources\/limits\/cpu must match pattern/);

    const duplicatePort = clone(runtime);
    const ports = (duplicatePort.spec as { containers: Container[] }).containers[0]!.ports!;
    ports.push({ containerPort: ports[0]!.containerPort, protocol: 'TCP' }); // the first omits protocol: TCP by default
    expect(kserveErrors(duplicatePort)).toContain('/spec/containers/0/ports must pass "x-kubernetes-list-type" keyword validation');

    const badName = clone(isvc);
    badName.metadata.name = 'Heart_Disease';
    expect(kserveErrors(badName).join('\n')).toMatch(/not a DNS-1035 label/);
  });
});

describe('the Deployment serves clinfer safely', () => {
  it('probes hit /v2/health/live and /v2/health/ready on the http port (8080); a startup probe allows slow model loads', () => {
    const http = httpPort(clinfer);
    expect(http).toBe(8080);
    expect(clinfer.livenessProbe?.httpGet?.path).toBe('/v2/health/live');
    expect(probePort(clinfer, clinfer.livenessProbe)).toBe(http);
    expect(clinfer.readinessProbe?.httpGet?.path).toBe('/v2/health/ready');
    expect(probePort(clinfer, clinfer.readinessProbe)).toBe(http);
    expect(clinfer.startupProbe?.httpGet?.path).toMatch(/^\/v2\/health\/(ready|live)$/);
    expect(probePort(clinfer, clinfer.startupProbe)).toBe(http);
    const startupBudget = (clinfer.startupProbe?.periodSeconds ?? 10) * (clinfer.startupProbe?.failureThreshold ?? 3);
    expect(startupBudget).toBeGreaterThanOrEqual(300);
  });

  it('exposes http 8080 and grpc 8081, and the ConfigMap tells clinfer to listen there on every interface', () => {
    expect(clinfer.ports?.map((p) => [p.name, p.containerPort])).toEqual([['http', 8080], ['grpc', 8081]]);
    const configMap = only(kubernetesManifests, 'ConfigMap', 'configmap.yaml');
    expect(clinfer.envFrom?.map((e) => e.configMapRef?.name)).toContain(configMap.metadata.name);
    const settings = configMap.data as Record<string, string>;
    expect(settings.CLINFER_HOST).toBe('0.0.0.0');
    expect(Number(settings.CLINFER_PORT)).toBe(8080);
    expect(Number(settings.CLINFER_GRPC_PORT)).toBe(8081);
  });

  it('runs as a non-root user with a read-only root filesystem, no privilege escalation, no capabilities; /tmp is an emptyDir', () => {
    expect(hardeningProblems(podSpec.securityContext, clinfer.securityContext)).toEqual([]);
    expect(tmpIsEmptyDir(clinfer, podSpec.volumes)).toBe(true);
  });

  it('authenticates callers: it binds 0.0.0.0 with API key digests from a mounted Secret, so clinfer starts', () => {
    const configMaps = kubernetesManifests.filter((m) => m.object.kind === 'ConfigMap').map((m) => m.object);
    const settings = containerSettings(clinfer, configMaps);
    expect(settings.CLINFER_HOST).toBe('0.0.0.0');
    expect(authenticationProblems(settings, clinfer, podSpec.volumes)).toEqual([]);
    // The check itself: without the keys file clinfer would refuse to start.
    expect(authenticationProblems({ ...settings, CLINFER_API_KEYS_FILE: undefined }, clinfer, podSpec.volumes)).toEqual(['0.0.0.0 without apiKeys, oidc or a client CA: clinfer refuses to start']);
  });

  it('reads the model repository from the PersistentVolumeClaim, read-only, at CLINFER_MODELS', () => {
    const settings = only(kubernetesManifests, 'ConfigMap', 'configmap.yaml').data as Record<string, string>;
    const mount = clinfer.volumeMounts?.find((m) => m.mountPath === settings.CLINFER_MODELS);
    expect(mount?.readOnly).toBe(true);
    const volume = podSpec.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.persistentVolumeClaim?.readOnly).toBe(true);
    expect(volume?.persistentVolumeClaim?.claimName).toBe(only(kubernetesManifests, 'PersistentVolumeClaim').metadata.name);
  });

  it('sets CPU and memory requests and limits, and one worker per CPU of the limit', () => {
    for (const bound of ['requests', 'limits'] as const) {
      expect(clinfer.resources?.[bound]?.cpu, bound).toBeDefined();
      expect(clinfer.resources?.[bound]?.memory, bound).toBeDefined();
    }
    const workers = clinfer.env?.find((e) => e.name === 'CLINFER_WORKERS');
    expect(workers?.valueFrom?.resourceFieldRef?.resource).toBe('limits.cpu');
  });

  it('no injected service variable can shadow a CLINFER_* setting', () => {
    // Kubernetes injects <SERVICE>_PORT=tcp://... for every Service; for the Service "clinfer" that is CLINFER_PORT.
    const services = kubernetesManifests.filter((m) => m.object.kind === 'Service').map((m) => m.object.metadata.name);
    if (podSpec.enableServiceLinks !== false) {
      expect(services.filter((name) => name.toUpperCase().replaceAll('-', '_').startsWith('CLINFER'))).toEqual([]);
    }
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  it('drains: the grace period exceeds the preStop sleep, so SIGTERM comes after the endpoints drop and leaves time to answer', () => {
    const sleep = preStopSleepSeconds(clinfer);
    expect(sleep).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(sleep!);
    // Room to drain after the sleep, beyond the kubelet's default of 30 s in total.
    expect(podSpec.terminationGracePeriodSeconds! - sleep!).toBeGreaterThanOrEqual(30);
    const strategy = (deployment.spec as { strategy: { rollingUpdate: { maxUnavailable: number | string } } }).strategy;
    expect(strategy.rollingUpdate.maxUnavailable).toBe(0);
  });
});

describe('Service, PodDisruptionBudget and autoscaler fit the Deployment', () => {
  const podLabels = podTemplate.metadata.labels;

  it("the Deployment's selector matches its own pod template", () => {
    expect(selects((deployment.spec as { selector: LabelSelector }).selector, podLabels)).toBe(true);
  });

  it('the Service selects the pods, maps http 8080 and grpc 8081 to the named container ports, and asks to be scraped', () => {
    const service = only(kubernetesManifests, 'Service');
    const spec = service.spec as { selector: Record<string, string>; ports: { name: string; port: number; targetPort: number | string }[] };
    expect(selects({ matchLabels: spec.selector }, podLabels)).toBe(true);
    const target = (name: string) => {
      const port = spec.ports.find((p) => p.name === name)!;
      return [port.port, typeof port.targetPort === 'number' ? port.targetPort : clinfer.ports?.find((p) => p.name === port.targetPort)?.containerPort];
    };
    expect(target('http')).toEqual([8080, 8080]);
    expect(target('grpc')).toEqual([8081, 8081]);
    expect(service.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(httpPort(clinfer)), 'prometheus.io/path': '/metrics' });
  });

  it("the PodDisruptionBudget's selector matches the pods and leaves one replica serving", () => {
    const pdb = only(kubernetesManifests, 'PodDisruptionBudget');
    const spec = pdb.spec as { selector: LabelSelector; maxUnavailable?: number | string; minAvailable?: number | string };
    expect(selects(spec.selector, podLabels)).toBe(true);
    const hpa = only(kubernetesManifests, 'HorizontalPodAutoscaler').spec as { minReplicas: number };
    if (typeof spec.maxUnavailable === 'number') expect(hpa.minReplicas).toBeGreaterThan(spec.maxUnavailable);
    if (typeof spec.minAvailable === 'number') expect(spec.minAvailable).toBeGreaterThanOrEqual(1);
  });

  it('the autoscaler scales the Deployment on CPU and on clinfer_inference_pending_requests, a metric clinfer exports', () => {
    const hpa = only(kubernetesManifests, 'HorizontalPodAutoscaler');
    const spec = hpa.spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { type: string; resource?: { name: string }; pods?: { metric: { name: string }; target: { type: string } } }[];
    };
    expect(spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
    expect(spec.metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    const pending = spec.metrics.find((m) => m.type === 'Pods' && m.pods?.metric.name === 'clinfer_inference_pending_requests');
    expect(pending?.pods?.target.type).toBe('AverageValue');
    // The name must be one clinfer registers (a renamed metric would leave the autoscaler blind).
    expect(readFileSync(join(ROOT, 'runtime/metrics/metrics.ts'), 'utf8')).toContain("'clinfer_inference_pending_requests'");
  });

  it('the Prometheus adapter rule serves that metric per pod, under the name the autoscaler asks for', () => {
    const rulesMap = only(kubernetesManifests, 'ConfigMap', 'rules-configmap.yaml');
    const config = parseYaml((rulesMap.data as Record<string, string>)['config.yaml']!) as {
      rules: { seriesQuery: string; resources: { overrides: Record<string, { resource: string }> }; name?: { matches?: string; as?: string }; metricsQuery: string }[];
    };
    const hpaMetrics = (only(kubernetesManifests, 'HorizontalPodAutoscaler').spec as { metrics: { pods?: { metric: { name: string } } }[] }).metrics;
    const wanted = hpaMetrics.flatMap((m) => (m.pods ? [m.pods.metric.name] : []));
    for (const metric of wanted) {
      const rule = config.rules.find((r) => r.seriesQuery.startsWith(metric) && (r.name?.as ?? metric) === metric);
      expect(rule, `no adapter rule serves ${metric}`).toBeDefined();
      expect(rule!.resources.overrides).toMatchObject({ namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
      expect(rule!.metricsQuery).toContain('<<.Series>>');
      expect(rule!.metricsQuery).toContain('<<.GroupBy>>');
    }
  });
});

describe('the KServe ServingRuntime and InferenceService', () => {
  const runtime = only(kserveManifests, 'ServingRuntime');
  const runtimeSpec = runtime.spec as {
    supportedModelFormats: { name: string; autoSelect?: boolean }[];
    protocolVersions: string[];
    containers: Container[];
    volumes?: Volume[];
    annotations?: Record<string, string>;
  };
  const container = runtimeSpec.containers[0]!;

  it('supports onnx (auto-selected) over protocol v2', () => {
    expect(runtimeSpec.supportedModelFormats).toContainEqual(expect.objectContaining({ name: 'onnx', autoSelect: true }));
    expect(runtimeSpec.protocolVersions).toContain('v2');
  });

  it('runs clinfer serve on /mnt/models under the InferenceService name, on the declared port', () => {
    expect(container.name).toBe('kserve-container');
    const args = container.args ?? [];
    expect(args[0]).toBe('serve');
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--models')).toBe('/mnt/models');
    expect(flag('--model-name')).toBe('{{.Name}}');
    expect(flag('--host')).toBe('0.0.0.0');
    expect(Number(flag('--port'))).toBe(httpPort(container));
    // Knative serves one port per revision.
    expect(container.ports).toHaveLength(1);
    // KServe copies spec.annotations onto the predictor pods: the scrape target is clinfer's /metrics.
    expect(runtimeSpec.annotations).toMatchObject({ 'prometheus.kserve.io/port': String(httpPort(container)), 'prometheus.kserve.io/path': '/metrics' });
  });

  it('probes the OIP health endpoints on that port; non-root, read-only root filesystem, /tmp on an emptyDir', () => {
    expect(container.readinessProbe?.httpGet?.path).toBe('/v2/health/ready');
    expect(probePort(container, container.readinessProbe)).toBe(httpPort(container));
    expect(container.livenessProbe?.httpGet?.path).toBe('/v2/health/live');
    expect(probePort(container, container.livenessProbe)).toBe(httpPort(container));
    expect(hardeningProblems(undefined, container.securityContext)).toEqual([]);
    expect(tmpIsEmptyDir(container, runtimeSpec.volumes)).toBe(true);
  });

  it('authenticates callers with API key digests from a mounted Secret, so clinfer starts on 0.0.0.0', () => {
    const args = container.args ?? [];
    expect(args).not.toContain('--insecure');
    const settings = { ...containerSettings(container, []), CLINFER_HOST: args[args.indexOf('--host') + 1] };
    expect(authenticationProblems(settings, container, runtimeSpec.volumes)).toEqual([]);
  });

  it('the example InferenceService uses this runtime, a format it supports, protocol v2 and a storageUri', () => {
    const isvc = only(kserveManifests, 'InferenceService');
    const model = (isvc.spec as { predictor: { model: { runtime: string; modelFormat: { name: string }; protocolVersion: string; storageUri: string } } }).predictor.model;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(runtimeSpec.supportedModelFormats.map((f) => f.name)).toContain(model.modelFormat.name);
    expect(model.protocolVersion).toBe('v2');
    expect(model.storageUri).toMatch(/^[a-z0-9]+:\/\/.+/);
  });
});
