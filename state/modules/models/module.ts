import type { NativeModule } from "../../module.ts";
import { apply, check, getModel, getModelVersion, spend, trainedOnOf } from "./models.ts";

/** Models as a native module: models and adapters, their versions, lineage, prices and operators. */
export const modelsModule = {
  name: "models",
  msgTypes: ["register_model", "publish_model_version", "set_model_price", "set_model_operators", "retire_model"],
  check,
  spend,
  apply,
  queries: { getModel, getModelVersion, trainedOnOf },
} satisfies NativeModule;
