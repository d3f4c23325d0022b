// biome-ignore-all lint/correctness/noUnusedVariables: a prelude declares names for the snippet after it
// Prelude `web`: a local HTTP server (closed when the snippet ends) and the names the docs use
// to reach it: urls, url, mirrors, apiUrl, fetchText, fetchJson, HttpError, download, index,
// Page.
import * as __web from '../snippets/web.js';

await using __server = await __web.startServer();
const { urls, apiUrl } = __server;
const url = urls[0] ?? '';
const mirrors = urls.slice(0, 3);
const { fetchText, fetchJson, HttpError, download, index } = __web;
type Page = __web.Page;
