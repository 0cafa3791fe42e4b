// The types of scripts/chromium.mjs, for the browser tests (test/web/chromium.ts).

/** Debian's chromium-headless-shell: the browser the tests drive, and the one scripts/chromium.mjs installs. */
export declare const headlessShellPath: string

/** Debian's full chromium: driven by the tests when the headless shell is missing. */
export declare const fullChromiumPath: string

/** The browser the tests drive: the headless shell, else the full chromium, else undefined (the tests skip). */
export declare const findChromium: () => string | undefined

/** Installs the headless shell when it can (Linux, root, apt-get); answers whether the tests have a browser. */
export declare const ensureChromium: () => boolean
