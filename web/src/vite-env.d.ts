/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's origin when it is not the page's own, e.g. http://127.0.0.1:4000 (the dev server). */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
