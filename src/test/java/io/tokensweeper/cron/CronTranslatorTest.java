package io.tokensweeper.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronTranslatorTest {
    @ParameterizedTest(name = "''{0}'' -> ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            0 3 * * *            | 0 0 3 * * ?
            30 3 * * *           | 0 30 3 * * ?
            */15 * * * *         | 0 0,15,30,45 * * * ?
            0 */6 * * *          | 0 0 0,6,12,18 * * ?
            0 9-17/4 * * *       | 0 0 9,13,17 * * ?
            0 9-17 * * *         | 0 0 9-17 * * ?
            5,35 1,13 * * *      | 0 5,35 1,13 * * ?
            0 3 1 * *            | 0 0 3 1 * ?
            0 3 1,15 * *         | 0 0 3 1,15 * ?
            0 3 */10 * *         | 0 0 3 1,11,21,31 * ?
            0 3 * JAN,jul *      | 0 0 3 * 1,7 ?
            0 3 * 2-4 *          | 0 0 3 * 2-4 ?
            0 3 * * 0            | 0 0 3 ? * 1
            0 3 * * 7            | 0 0 3 ? * 1
            0 3 * * 1            | 0 0 3 ? * 2
            0 3 * * 6            | 0 0 3 ? * 7
            0 3 * * 1-5          | 0 0 3 ? * 2-6
            0 3 * * MON-FRI      | 0 0 3 ? * 2-6
            0 3 * * sat,sun      | 0 0 3 ? * 1,7
            0 3 * * 5-7          | 0 0 3 ? * 1,6,7
            0 3 * * 0,7          | 0 0 3 ? * 1
            0 3 * * */2          | 0 0 3 ? * 1,3,5,7
            0 3 * * 1-7/3        | 0 0 3 ? * 1,2,5
            @daily               | 0 0 0 * * ?
            @hourly              | 0 0 * * * ?
            @weekly              | 0 0 0 ? * 1
            @monthly             | 0 0 0 1 * ?
            @yearly              | 0 0 0 1 1 ?
            0 0 3 * * ?          | 0 0 3 * * ?
            0 0/5 * ? * MON-FRI  | 0 0/5 * ? * MON-FRI
            0 0 3 L * ? 2030     | 0 0 3 L * ? 2030
            """)
    void translatesUnixCronToQuartz(String unix, String quartz) {
        assertThat(CronTranslator.toQuartz(unix)).isEqualTo(quartz);
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', textBlock = """
            ''                   | the expression is empty
            0 3 * *              | expected 5 fields (Unix cron: minute hour day-of-month month day-of-week) or 6-7 fields (Quartz cron), found 4
            60 3 * * *           | minute 60 in '60' is out of range 0-59
            0 24 * * *           | hour 24 in '24' is out of range 0-23
            0 3 0 * *            | day-of-month 0 in '0' is out of range 1-31
            0 3 * 13 *           | month 13 in '13' is out of range 1-12
            0 3 * * 8            | day-of-week 8 in '8' is out of range 0-7
            0 3 * * FUNDAY       | day-of-week 'FUNDAY' is not a number, range, list or step (names allowed: FRI, MON, SAT, SUN, THU, TUE, WED)
            0 3 1 * 1            | both day-of-month (1) and day-of-week (1) are restricted
            0 17-9 * * *         | hour range '17-9' runs backwards
            0 3 1-5-9 * *        | day-of-month '1-5-9' is not a valid range
            0-30-45 3 * * *      | minute '0-30-45' is not a valid range
            0 3 * 1-3-5 *        | month '1-3-5' is not a valid range
            */0 * * * *          | minute step in '*/0' must be at least 1
            0 3 ? * *            | day-of-month '?' is not a number, range, list or step
            @reboot              | unknown macro @reboot
            0 0 3 * * *          | not a valid Quartz expression
            0 0 3 ? * MON-FUN    | not a valid Quartz expression
            """)
    void rejectsInvalidExpressionsSayingWhy(String expression, String message) {
        assertThatThrownBy(() -> CronTranslator.toQuartz(expression))
                .isInstanceOf(InvalidCronException.class)
                .hasMessageContaining(message);
    }
}
