/**
 * An error as plain JSON for a dead-letter line: `name`, `code`, `message`, the error's own
 * primitive properties (an HTTP `status`, a `path`), and its `cause` and `errors` the same
 * way, a few levels deep. It never throws: whatever cannot be read is left out, so a hostile
 * error (a throwing getter, a Proxy) still leaves a line behind.
 *
 * @module
 */

const MAX_DEPTH = 4;

export type ErrorJson = Record<string, unknown>;

export function describeError(error: unknown, depth = 0): ErrorJson {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) {
    return { message: safeString(error), thrown: typeof error };
  }
  const out: ErrorJson = {};
  copy(out, 'name', () => (error as Error).name);
  copy(out, 'code', () => (error as { code?: unknown }).code);
  copy(out, 'message', () => (error as Error).message);
  try {
    for (const key of Object.keys(error)) {
      if (key in out || key === 'cause' || key === 'errors' || key === 'stack') continue;
      copy(out, key, () => (error as Record<string, unknown>)[key]);
    }
  } catch {
    // A Proxy that refuses ownKeys: keep what was read.
  }
  if (depth < MAX_DEPTH) {
    try {
      const cause = (error as { cause?: unknown }).cause;
      if (cause !== undefined) out.cause = describeError(cause, depth + 1);
      const errors = (error as { errors?: unknown }).errors;
      if (Array.isArray(errors))
        out.errors = errors.slice(0, 16).map((e) => describeError(e, depth + 1));
    } catch {
      // Unreadable cause: left out.
    }
  }
  return out;
}

/** Copies a primitive (string, finite number, boolean) read by `read`, if reading works. */
function copy(out: ErrorJson, key: string, read: () => unknown): void {
  try {
    const value = read();
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  } catch {
    // A throwing getter: left out.
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
