import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class MapProductDto {
  @IsString() @IsNotEmpty() @MaxLength(100) access_level_id: string;
}
