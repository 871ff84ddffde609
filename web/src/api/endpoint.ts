// Where the API answers. Served by the API itself the app uses its own origin;
// on Vite's dev server VITE_API_URL names the API's origin (which must allow
// this one through CORS).
const configured = import.meta.env.VITE_API_URL?.trim().replace(/\/+$/, '');
const origin = configured || window.location.origin;

export const GRAPHQL_HTTP_URL = `${origin}/graphql`;
export const GRAPHQL_WS_URL = GRAPHQL_HTTP_URL.replace(/^http/, 'ws');
