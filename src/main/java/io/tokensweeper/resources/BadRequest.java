package io.tokensweeper.resources;

import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** A 400 whose JSON body says which parameter is wrong and what it may be. */
final class BadRequest extends WebApplicationException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
        super(message, Response.status(Response.Status.BAD_REQUEST)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorMessage(400, message))
                .build());
    }
}
