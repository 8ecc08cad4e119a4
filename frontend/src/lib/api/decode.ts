// The hand-written half of decoding: the error every API failure is, and the
// primitive decoders that the generated contract (contract.gen.ts) composes
// into one decoder per Go type. Go and this UI are built together, so a shape
// that differs from the contract is a bug; it fails here, loudly and naming
// where ("unexpected Status.state from Hush: …"), not deep in a screen.

/**
 * The error every API call rejects with. The message is the Go error's
 * message, shown to the user as is.
 */
export class ApiError extends Error {
  /** HTTP status in browser mode; undefined for Wails and network failures. */
  readonly status: number | undefined;
  /**
   * The method does not exist in this build of Hush (browser mode 404, or a
   * missing Wails binding): the UI hides the feature instead of failing.
   */
  readonly unavailable: boolean;
  constructor(message: string, status?: number, unavailable = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.unavailable = unavailable || status === 404;
  }
}

/** Whether err says the called method is missing from this build. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof ApiError && err.unavailable;
}

/** The message of anything thrown or rejected: Wails rejects with a plain string. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (isObject(err) && typeof err['message'] === 'string') return err['message'];
  return String(err);
}

/** A JSON object. */
export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turns a JSON value into a T or throws ApiError. `at` names the value for
 * the error ("Message.status", "MessagePage.messages[3]").
 */
export type Decoder<T> = (v: unknown, at?: string) => T;

function fail(at: string, v: unknown, expected: string): never {
  throw new ApiError(`unexpected ${at} from Hush: ${describe(v)} is not ${expected}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'an object';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** An object, whose fields `field` then reads. */
export function object(v: unknown, at: string): Json {
  return isObject(v) ? v : fail(at, v, 'an object');
}

/** A required field: present in every value Go sends. */
export function field<T>(o: Json, key: string, at: string, decode: Decoder<T>): T {
  return decode(Object.hasOwn(o, key) ? o[key] : undefined, `${at}.${key}`);
}

/** A field Go leaves out when it is zero (omitempty): absent, or decoded. */
export function optional<K extends string, T>(
  o: Json,
  key: K,
  at: string,
  decode: Decoder<T>,
): { [P in K]?: T } {
  if (!Object.hasOwn(o, key)) return {};
  return { [key]: decode(o[key], `${at}.${key}`) } as { [P in K]?: T };
}

export const str: Decoder<string> = (v, at = 'value') => (typeof v === 'string' ? v : fail(at, v, 'a string'));

export const bool: Decoder<boolean> = (v, at = 'value') =>
  typeof v === 'boolean' ? v : fail(at, v, 'true or false');

/** A Go integer: JSON never carries a fraction for one. */
export const int: Decoder<number> = (v, at = 'value') =>
  typeof v === 'number' && Number.isInteger(v) ? v : fail(at, v, 'a whole number');

/** A Go float. */
export const num: Decoder<number> = (v, at = 'value') =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(at, v, 'a number');

/** A list. Go encodes an empty (nil) slice as null, which decodes as []. */
export function list<T>(item: Decoder<T>): Decoder<T[]> {
  return (v, at = 'list') => {
    if (v === null) return [];
    if (!Array.isArray(v)) return fail(at, v, 'a list');
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

/** A map with string keys. Go encodes a nil map as null, which decodes as {}. */
export function record<T>(item: Decoder<T>): Decoder<Record<string, T>> {
  return (v, at = 'map') => {
    if (v === null) return {};
    const o = object(v, at);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(o)) out[k] = item(x, `${at}[${JSON.stringify(k)}]`);
    return out;
  };
}

/** A Go pointer: null, or the value. */
export function nullable<T>(decode: Decoder<T>): Decoder<T | null> {
  return (v, at) => (v === null ? null : decode(v, at));
}

/** One of a string enum's values. */
export function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
  return (v, at = 'value') =>
    (values as readonly unknown[]).includes(v) ? (v as T) : fail(at, v, `one of ${values.join(', ')}`);
}

/** One of a string enum's values, or '' for none. */
export function oneOfOrEmpty<T extends string>(values: readonly T[]): Decoder<T | ''> {
  const decode = oneOf<T | ''>([...values, '']);
  return (v, at) => decode(v, at);
}

/**
 * The result of a method that returns only an error: null over HTTP,
 * undefined from Wails; both mean "done".
 */
export const nothing: Decoder<void> = (v, at = 'result') => {
  if (v !== null && v !== undefined) fail(at, v, 'empty');
};
