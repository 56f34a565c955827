import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ledger:public';

/**
 * Routes that serve no app's data (the console's static page) and so need no API key. The data
 * the page then asks for goes through the guard like any other request.
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);
