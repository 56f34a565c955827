/** Routes for operators and tools, not for apps: no key, no rate limit. */
const OPERATIONAL = [/^\/health(\/|$)/, /^\/metrics\/?$/, /^\/docs(\/|$)/, /^\/openapi\.json$/];

export const isOperationalRoute = (routeUrl: string | undefined): boolean =>
  routeUrl !== undefined && OPERATIONAL.some((re) => re.test(routeUrl));
