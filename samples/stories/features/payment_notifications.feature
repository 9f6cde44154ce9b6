Feature: Payment notifications
  As an account holder
  I want to be told about upcoming and failed payments
  So that I can move money in time and avoid missed bills

  Scenario: Remind me before a payment
    Given a standing order of 850.00 GBP to "Oakwood Lettings" is due on 15 March 2026
    When the reminders are sent on 12 March 2026
    Then I receive the push message "850.00 GBP will be paid to Oakwood Lettings on 15 March 2026."

  Scenario: Tell me when a payment fails
    Given my account does not have enough money for a standing order of 850.00 GBP
    When the daily payment run processes the standing order
    Then the payment is recorded as FAILED
    And I receive a message saying there was not enough money in my account

  Scenario: No reminder for a paused standing order
    Given my standing order to "City Gym" is paused until 1 May 2026
    When the reminders are sent on 12 March 2026
    Then I do not receive a reminder about "City Gym"
