package io.tokensweeper.api;

import io.tokensweeper.purge.DeleteSideEffect;

/** A foreign key, trigger or rule that a job's DELETE reaches, as GET /jobs shows it. */
public record SideEffectView(String kind, String name, String otherTable, String action, String description,
                             boolean changesOrSkipsRows, boolean unindexed) {

    public static SideEffectView of(DeleteSideEffect effect) {
        return new SideEffectView(effect.kind().id(), effect.name(), effect.otherTable(), effect.action(),
                effect.description(), effect.changesOrSkipsRows(), effect.unindexed());
    }
}
