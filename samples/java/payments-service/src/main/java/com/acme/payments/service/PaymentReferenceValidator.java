package com.acme.payments.service;

import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks payment references against the scheme rules: at most 18 characters of
 * upper-case letters, digits, spaces and the symbols {@code - . / &}.
 */
@Component
public class PaymentReferenceValidator {

    public static final int MAX_LENGTH = 18;

    private static final Pattern ALLOWED = Pattern.compile("[A-Z0-9 ./&-]*");
    private static final Pattern REPEATED = Pattern.compile("(.)\\1{5,}");

    /**
     * Upper-cases the reference and collapses runs of spaces.
     *
     * @param reference the reference as typed by the customer, may be null
     * @return the normalised reference, empty for null
     */
    public String normalise(String reference) {
        if (reference == null) {
            return "";
        }
        String upper = reference.trim().toUpperCase(Locale.ROOT);
        return upper.replaceAll("\\s+", " ");
    }

    /**
     * Every rule a normalised reference breaks.
     *
     * @param reference the reference as typed by the customer
     * @return human-readable problems, empty when the reference is valid
     */
    public List<String> problems(String reference) {
        String value = normalise(reference);
        List<String> problems = new ArrayList<>();
        if (value.length() > MAX_LENGTH) {
            problems.add("reference must be at most " + MAX_LENGTH + " characters");
        }
        if (!ALLOWED.matcher(value).matches()) {
            problems.add("reference may only use letters, digits, spaces and - . / &");
        }
        if (REPEATED.matcher(value).find()) {
            problems.add("reference must not repeat one character six or more times");
        }
        return problems;
    }

    /**
     * Whether the reference is acceptable to the payment scheme.
     *
     * @param reference the reference as typed by the customer
     * @return true when {@link #problems(String)} is empty
     */
    public boolean isValid(String reference) {
        return problems(reference).isEmpty();
    }
}
