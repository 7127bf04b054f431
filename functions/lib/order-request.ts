import { z } from "zod";

// Kept apart from orders.ts so that only the function that validates bodies bundles zod.
/** The body of POST /orders. */
export const orderRequestSchema = z.strictObject({
  customerId: z.string().min(1).max(64),
  items: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(32),
        quantity: z.number().int().min(1).max(1000),
      }),
    )
    .min(1)
    .max(50),
});
export type OrderRequest = z.infer<typeof orderRequestSchema>;
