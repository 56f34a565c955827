export class AccessLevelDeclarationDto {
  access_level_id: string;
  /** null for `premium`, which every app has from the start */
  created_at: string | null;
}

export class ProductMappingDto {
  store_product_id: string;
  access_level_id: string;
  updated_at: string;
}

export class AccessLevelListDto {
  data: AccessLevelDeclarationDto[];
}

export class AccessLevelDeclarationResponseDto {
  data: AccessLevelDeclarationDto;
}

export class ProductListDto {
  data: ProductMappingDto[];
}

export class ProductMappingResponseDto {
  data: ProductMappingDto;
}
