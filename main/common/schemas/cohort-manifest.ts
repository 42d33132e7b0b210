// One data row of a cohort manifest (`tessera cohort`'s CSV) as a schema: the structure (a slide, an id
// that can name files); reading the CSV and resolving paths stay in main/cohort/manifest.ts.
import * as v from 'valibot';

/** Ids name every output file of a slide: letters, digits, . _ - only, at most 200. */
export const cohortIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export const cohortRowSchema = v.object({
  slide: v.pipe(v.string('has no slide'), v.trim(), v.minLength(1, 'has no slide')),
  /** '' (or no id column): the default id, from the slide's file name. */
  id: v.pipe(
    v.optional(v.string(), ''),
    v.trim(),
    v.check(
      (id) => id === '' || cohortIdPattern.test(id),
      (issue) => `id ${JSON.stringify(issue.input)} must be letters, digits, ".", "_" or "-" (it names files)`,
    ),
  ),
});

export type CohortRow = v.InferOutput<typeof cohortRowSchema>;
