import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ledger:public';

/** A route that needs no API key (health, metrics): it reveals no app's data. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC, true);
