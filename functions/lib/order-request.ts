import * as z from "zod/mini";

// Kept apart from orders.ts so that only the function that validates bodies bundles zod; zod/mini,
// because the full zod would be most of the bundle.
/** The body of POST /orders. */
export const orderRequestSchema = z.strictObject({
  customerId: z.string().check(z.minLength(1), z.maxLength(64)),
  items: z
    .array(
      z.strictObject({
        sku: z.string().check(z.minLength(1), z.maxLength(32)),
        quantity: z.int().check(z.minimum(1), z.maximum(1000)),
      }),
    )
    .check(z.minLength(1), z.maxLength(50)),
});
export type OrderRequest = z.infer<typeof orderRequestSchema>;
