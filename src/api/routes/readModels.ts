/**
 * The read-model queries the list routes use, as the API needs them. The projections
 * (src/projections) implement them; the routes depend only on this shape so they can be
 * wired when the read models exist. Until then (deps.readModels absent) those routes answer
 * 503 SERVICE_UNAVAILABLE rather than a wrong list.
 */
export interface ReadModels {
  readonly placeholder?: never;
}
