/**
 * What a service worker and the loop say besides comlink's own messages (which carry an `id`;
 * these do not, so comlink ignores them).
 *
 * @module
 */
import type { SerializedError } from './codec.js';

export const SERVICE_READY_KEY = '__tandemServiceReady';

export type ServiceReady =
  | { [SERVICE_READY_KEY]: true; methods: string[] }
  | { [SERVICE_READY_KEY]: false; error: SerializedError };

export interface ServiceBootData {
  moduleUrl: string;
}
