// Notes and warnings from the services name annotations by their internal id ("annotation 9f2k-…"): say
// them as the annotation list does (its name, else its number in the list) so the user can find them.

/** `text` with every `annotation <id>` whose id `label` knows replaced by `annotation <label>`. */
export function nameAnnotationsIn(text: string, label: (id: string) => string | null): string {
  return text.replace(/\bannotation ([A-Za-z0-9][A-Za-z0-9_.:-]*)( \([^)]*\))?/g, (whole, id: string) => {
    const name = label(id);
    return name === null ? whole : `annotation ${name}`;
  });
}
