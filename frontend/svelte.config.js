// Svelte compiler options shared by vite-plugin-svelte and svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Runes everywhere: no legacy reactivity in this code base.
    runes: true,
  },
};
