import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ledger:public';

/**
 * A route that serves no app's data and so needs no API key: health, metrics, the API document,
 * the console's static page (the data that page asks for goes through the guard like any other request).
 */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC, true);
