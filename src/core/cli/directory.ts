/**
 * The CLIs' configuration directory, once for both editions: what `plex-auth` says when it saves a token into a
 * directory the user chose (`--config-dir`) that other users may open.
 *
 * The default directory (`~/.config/effect-plex-auth`, the CLI's own by name) is made 0700 at every change by the
 * store itself (its `isDefault`, core/node/store.ts `tightenDirectory`), as the library's own default store is. A
 * directory the user named is theirs: it may hold other things and serve other uses (a project folder, a shared
 * folder, `--config-dir .`, their home), which a `chmod 700` behind their back would break (a web server, a
 * group's members locked out). The store already takes group and other write permission away from it, and keeps the
 * token in a file only its owner can read (0600); what others can still do is list it. So the CLI leaves its mode
 * as it is and says so, with how to close it, each time it saves a token there: the user decides.
 *
 * @internal
 */
import { neutralise } from "./failure.js"

/**
 * What `plex-auth` says of a chosen directory others may open (`mode`, its permission bits): that they can list it
 * when group or others may read it, else (search permission alone, 0711) that they can reach what is in it by name.
 */
export const openDirectoryText = (directory: string, mode: number): string =>
  `The configuration directory ${neutralise(directory)} is open to other users (mode ${mode.toString(8)}): they can ${(mode & 0o044) !== 0 ? "list it" : "reach what is in it by name"}, though not read the token (store.json is readable by you alone). plex-auth leaves the mode of a directory you chose as it is: chmod 700 closes it.`

/**
 * {@link openDirectoryText} for `directory`, a `--config-dir` the user chose, given its `stat` (each edition's
 * `fs.stat`; undefined when it could not be examined: the save succeeded, nothing to say then) and the process's `uid`
 * (undefined on Windows, which has no POSIX modes): said when it is the user's and group or others may read or
 * search it; else undefined.
 */
export const openDirectoryNote = (
  directory: string,
  stat: { readonly mode: number; readonly uid: number; isDirectory(): boolean } | undefined,
  uid: number | undefined
): string | undefined => {
  if (stat === undefined || uid === undefined || !stat.isDirectory() || stat.uid !== uid) return undefined
  const mode = stat.mode & 0o777
  return (mode & 0o077) === 0 ? undefined : openDirectoryText(directory, mode)
}
