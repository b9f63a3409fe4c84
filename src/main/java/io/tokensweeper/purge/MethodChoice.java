package io.tokensweeper.purge;

import java.util.List;

/** The method a run uses, why, and for the index walk the streams it walks. */
record MethodChoice(PurgeMethod method, String reason, List<KeysetStream> streams) {
    static MethodChoice heap(String reason) {
        return new MethodChoice(PurgeMethod.HEAP, reason, List.of());
    }
}
