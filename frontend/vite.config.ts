// Build and unit-test configuration. The build lands in dist/, which the Go
// binary embeds; base './' keeps asset URLs relative so Wails (and browser
// mode) can serve the bundle from any root.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

const outDir = 'dist';

// dist/ is build output ignored by git except for .gitkeep, which lets
// `go:embed` compile before the first frontend build. Vite empties dist/
// on every build, so put the marker back afterwards.
function keepGitkeep(): Plugin {
  return {
    name: 'hush-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(resolve(import.meta.dirname, outDir, '.gitkeep'), '');
    },
  };
}

// The emoji picker's list (src/lib/emoji.ts) keeps only the fields it reads:
// emojibase's compact list also carries skin tone variants, hex codes and
// order numbers, 60% of its size, which the picker's lazy chunk need not hold.
const EMOJI_LIST = /emojibase-data\/en\/compact\.json$/;
const EMOJI_FIELDS = ['group', 'label', 'tags', 'unicode'];

function slimEmojiList(): Plugin {
  return {
    name: 'hush-slim-emoji-list',
    enforce: 'pre',
    transform(code, id) {
      if (!EMOJI_LIST.test(id)) return null;
      const list = JSON.parse(code) as Record<string, unknown>[];
      const kept = list.map((e) => Object.fromEntries(EMOJI_FIELDS.filter((k) => k in e).map((k) => [k, e[k]])));
      return { code: JSON.stringify(kept), map: null };
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [slimEmojiList(), svelte(), svelteTesting(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // The strength estimator's dictionaries are one large lazy chunk by
    // design; it is loaded only on screens that ask for a passphrase.
    chunkSizeWarningLimit: 2048,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
    setupFiles: ['./vitest-setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
