Feature: Manage standing orders
  As an account holder
  I want to set up, pause and cancel standing orders in the app
  So that my regular bills are paid on time without visiting a branch

  Scenario: Set up a monthly standing order
    Given I have a current account with a payee called "Oakwood Lettings"
    When I set up a standing order of 850.00 GBP to "Oakwood Lettings" every month from 15 March 2026
    Then the standing order is shown with the status ACTIVE
    And the next payment date is 15 March 2026

  Scenario: Reject a start date in the past
    Given today is 2 March 2026
    When I set up a standing order that starts on 1 March 2026
    Then I see the error "start date must be today or later"
    And no standing order is created

  Scenario: Pause a standing order during a sabbatical
    Given an active monthly standing order to "Oakwood Lettings" paid on the 15th
    When I pause it until 1 September 2026
    Then no payment is made before 1 September 2026
    And the standing order shows the status PAUSED

  Scenario Outline: Payment dates move to the next business day
    Given a <frequency> standing order that starts on <start>
    When the schedule for the first payment is calculated
    Then the money leaves my account on <execution>

    Examples:
      | frequency | start       | execution   |
      | monthly   | 31 Jan 2026 | 2 Feb 2026  |
      | weekly    | 3 Apr 2026  | 7 Apr 2026  |
      | quarterly | 25 Dec 2026 | 29 Dec 2026 |
