// Build identity, recorded in every weights file a run writes.
#pragma once

namespace ulr {

const char* version();        // "0.1.0"
const char* source_commit();  // the git commit the build was configured from ("unknown" outside git)

}  // namespace ulr
